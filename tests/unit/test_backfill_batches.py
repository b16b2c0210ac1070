"""Backfill batches pick the partition aiokafka's default partitioner picks (same key, same
partition as the bridge's CDC messages)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.partitioner import (  # type: ignore[import-untyped]
    DefaultPartitioner,
)
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from workers.backfill.batches import KeyedBatches, murmur2, partition_for

pytestmark = pytest.mark.unit


@given(key=st.binary(min_size=1, max_size=40), count=st.integers(min_value=1, max_value=64))
def test_partition_matches_the_default_partitioner(key: bytes, count: int) -> None:
    partitions = list(range(count))
    assert partition_for(key, partitions) == DefaultPartitioner()(key, partitions, partitions)


def test_record_ids_spread_over_partitions() -> None:
    chosen = {partition_for(f"003{i:015d}".encode(), list(range(8))) for i in range(200)}
    assert chosen == set(range(8))


@given(key=st.binary(min_size=0, max_size=70))
def test_murmur2_matches_aiokafkas(key: bytes) -> None:
    assert murmur2(key) == aiokafka_murmur2(key)


class FakeBatch:
    """Holds up to `room` records (append answers None when full, as aiokafka's does)."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.keys: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object | None:
        if len(self.keys) >= self.room or len(value) > 100:
            return None
        self.keys.append(key)
        return object()

    def record_count(self) -> int:
        return len(self.keys)


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[int, list[bytes]]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {2, 0, 1}

    def create_batch(self) -> FakeBatch:
        return FakeBatch(room=3)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        self.sent.append((partition, batch.keys))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_every_record_is_sent_once_to_its_keys_partition() -> None:
    producer = FakeProducer()
    batches = KeyedBatches(producer, "t")
    keys = [f"003{i:015d}".encode() for i in range(40)]
    await batches.add_all((key, b"{}") for key in keys)
    await batches.flush()
    assert sorted(k for _, sent in producer.sent for k in sent) == sorted(keys)
    for partition, sent in producer.sent:
        assert all(partition_for(key, [0, 1, 2]) == partition for key in sent)
        assert 1 <= len(sent) <= 3
    with pytest.raises(ValueError, match="does not fit"):
        await batches.add(b"003", b"x" * 200)
