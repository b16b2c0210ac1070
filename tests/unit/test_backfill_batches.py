"""Backfill batches pick the partition aiokafka's default partitioner picks (same key, same
partition as the bridge's CDC messages)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition  # type: ignore[import-untyped]
from aiokafka.partitioner import (  # type: ignore[import-untyped]
    DefaultPartitioner,
)
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from aiokafka.producer.message_accumulator import (  # type: ignore[import-untyped]
    BatchBuilder,
    MessageBatch,
)
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
    """Holds up to `room` records; as aiokafka's, append answers None and closes the batch
    when it is full, and a closed batch takes nothing more."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.keys: list[bytes] = []
        self.closed = False

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object | None:
        if self.closed:
            return None
        if len(self.keys) >= self.room or len(value) > 100:
            self.close()
            return None
        self.keys.append(key)
        return object()

    def close(self) -> None:
        self.closed = True

    def record_count(self) -> int:
        return len(self.keys)


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[int, list[bytes]]] = []
        self.batches: list[FakeBatch] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {2, 0, 1}

    def create_batch(self) -> FakeBatch:
        return FakeBatch(room=3)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        self.sent.append((partition, batch.keys))
        self.batches.append(batch)
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


async def test_partly_filled_batches_are_closed_when_sent() -> None:
    """aiokafka holds an open batch back for `linger_ms` (and the partition's next batch
    behind it): a page's last batches are closed so they go out at once."""
    producer = FakeProducer()
    batches = KeyedBatches(producer, "t")
    await batches.add_all((f"003{i:015d}".encode(), b"{}") for i in range(10))
    await batches.flush()
    assert any(len(batch.keys) < batch.room for batch in producer.batches)
    assert all(batch.closed for batch in producer.batches)


async def test_aiokafka_sends_a_closed_batch_without_lingering() -> None:
    """What `KeyedBatches.send` relies on: aiokafka lingers on an open batch, not a closed one."""
    batch = BatchBuilder(16384, 0)  # what AIOKafkaProducer.create_batch() returns
    batch.append(key=b"003", value=b"{}", timestamp=None)
    queued = MessageBatch(TopicPartition("t", 0), batch, ttl=30, linger_time=20)
    assert queued.remaining_linger() is not None
    batch.close()
    assert queued.remaining_linger() is None
