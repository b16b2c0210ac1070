"""Backfill batches pick the partition aiokafka's default partitioner picks (same key, same
partition as the bridge's CDC messages)."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import (  # type: ignore[import-untyped]
    DefaultPartitioner,
)
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from workers.backfill.batches import murmur2, partition_for

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
