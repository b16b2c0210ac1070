"""Reading lawful's topics back directly (no consumer group): the bridge's replay-id recovery
and the erasure service's tombstone recovery."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from schemas.errors import TransientError
from workers.bridge.kafka import connection_options
from workers.settings import KafkaSettings

READ_TIMEOUT_MS = 200  # an empty fetch past the reported end: the partition has nothing more
FLOOR_POLL_MS = 1000  # below the reported end, an empty fetch is only slow: ask again
FLOOR_WAIT = 30.0  # seconds to reach the reported end before giving up (TransientError)


@dataclass(frozen=True)
class Partitions:
    """The assigned partitions that hold messages, with their first and reported end offsets
    (a lower bound on Tansu), and the asked topics the broker does not have."""

    consumer: Any
    parts: list[Any]
    starts: dict[Any, int]
    ends: dict[Any, int]
    missing: list[str]


@contextlib.asynccontextmanager
async def open_partitions(kafka: KafkaSettings, topics: list[str]) -> AsyncIterator[Partitions]:
    """A consumer assigned to every partition of `topics` (full names), stopped on exit."""
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, fetch_max_wait_ms=READ_TIMEOUT_MS, **connection_options(kafka)
    )
    await consumer.start()
    try:
        known = await consumer.topics()  # fresh metadata (a new client may not have it yet)
        every = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        starts: dict[Any, int] = {}
        ends: dict[Any, int] = {}
        if every:
            consumer.assign(every)
            starts = await consumer.beginning_offsets(every)
            ends = await consumer.end_offsets(every)
        yield Partitions(
            consumer,
            [tp for tp in every if ends[tp] > starts[tp]],  # empty ones hold nothing
            starts,
            ends,
            [topic for topic in topics if topic not in known],
        )
    finally:
        await consumer.stop()


async def read_partition(
    consumer: Any, tp: Any, start: int, end: int | None, floor: int
) -> tuple[list[bytes | None], int]:
    """Values of offsets [start, end) (end None: to the partition's end), and the offset after
    the last one read. The broker's end offset is only a `floor` (Tansu under-reports it,
    broker.md section 1): past it, an empty fetch means the end."""
    consumer.seek(tp, start)
    values: list[bytes | None] = []
    position = start
    deadline = time.monotonic() + FLOOR_WAIT
    while end is None or position < end:
        waiting = position < floor
        timeout = FLOOR_POLL_MS if waiting else READ_TIMEOUT_MS
        batches = await consumer.getmany(tp, timeout_ms=timeout, max_records=5000)
        records = batches.get(tp, [])
        if not records:
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise TransientError(f"{tp.topic}[{tp.partition}] unreadable below {floor}")
            continue
        values.extend(r.value for r in records if end is None or r.offset < end)
        position = records[-1].offset + 1
    return values, position
