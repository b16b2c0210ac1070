"""Reading the persons table to rebuild a lost wake-up schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]

from schemas.aggregate import AggregateState, dump_state
from workers.pipeline.wakeup_restore import next_wakeup_of, partition_of, wakeups_in

pytestmark = pytest.mark.unit

WAKE = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("key", [b"0PK000000000001AAA", b"a", b"\xff" * 18])
def test_partition_is_the_default_partitioners(key: bytes) -> None:
    expected = DefaultPartitioner()(key, [0, 1, 2, 3], [0, 1, 2, 3])
    assert partition_of(key, 4) == expected


def test_next_wakeup_from_an_encoded_state() -> None:
    assert next_wakeup_of(dump_state(AggregateState(next_wakeup=WAKE))) == WAKE.timestamp()
    assert next_wakeup_of(dump_state(AggregateState())) is None


def test_only_the_wanted_partitions_with_a_wake_up() -> None:
    keys = [f"0PK{n:012d}AAA".encode() for n in range(40)]
    items = [(k, dump_state(AggregateState(next_wakeup=WAKE if n % 2 else None))) for n, k in
             enumerate(keys)]  # fmt: skip
    found = asyncio.run(wakeups_in(items, {1, 3}, 4))
    expected = [
        (partition_of(k, 4), k.decode(), WAKE.timestamp())
        for n, k in enumerate(keys)
        if n % 2 and partition_of(k, 4) in {1, 3}
    ]
    assert found == expected
    assert found


def test_changelog_markers_are_not_persons() -> None:
    items = [(b"\x00lawful-marker", b""), (b"0PK1", dump_state(AggregateState(next_wakeup=WAKE)))]
    found = asyncio.run(wakeups_in(items, {0, 1, 2, 3}, 4))
    assert [person for _, person, _ in found] == ["0PK1"]
