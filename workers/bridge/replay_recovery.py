"""Replay positions recovered from Kafka when Redis lost them.

The bridge stores a channel's replay id in Redis only after the broker acknowledged its event,
so the newest replay id per channel on lawful.sf-cdc.v1 / lawful.sf-events.v1 is at least the
stored one. A bridge that starts without a stored id (Redis flushed, or failed over without
persistence) would otherwise subscribe with the default (-1: new events only) and silently miss
everything published while it was down. It reads the topics' tails backwards, in growing
windows, up to `scan_max` messages per partition; a channel not found there keeps the default
(logged, so an operator can run a backfill).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from schemas.errors import TransientError
from workers.bridge.kafka import connection_options
from workers.salesforce.replay_store import ReplayStore
from workers.settings import KafkaSettings

log = structlog.get_logger("lawful.bridge.replay_recovery")

FIRST_WINDOW = 1000  # messages per partition read first; doubled until every channel is found
READ_TIMEOUT_MS = 200  # an empty fetch past the reported end: the partition has nothing more
FLOOR_POLL_MS = 1000  # below the reported end, an empty fetch is only slow: ask again
FLOOR_WAIT = 30.0  # seconds to reach the reported end before giving up (TransientError)


def newest_per_channel(values: Iterable[bytes | None], wanted: set[str]) -> dict[str, int]:
    """The highest stream replay id per wanted channel among bridged `SalesforceEvent`s."""
    newest: dict[str, int] = {}
    for value in values:
        if not value:
            continue
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        channel, replay = event.get("channel"), event.get("replay_id")
        if channel in wanted and isinstance(replay, int) and replay > newest.get(channel, -1):
            newest[channel] = replay
    return newest


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


async def newest_replay_ids(
    kafka: KafkaSettings, topics: list[str], channels: set[str], *, scan_max: int
) -> dict[str, int]:
    """Scan the tails of `topics` (full names) for the newest replay id of each channel."""
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, fetch_max_wait_ms=READ_TIMEOUT_MS, **connection_options(kafka)
    )
    await consumer.start()
    try:
        known = await consumer.topics()  # fresh metadata (a new client may not have it yet)
        missing = [topic for topic in topics if topic not in known]
        if missing:
            raise TransientError(f"topics not on the broker: {', '.join(missing)}")
        every = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not every:
            return {}
        consumer.assign(every)
        starts = await consumer.beginning_offsets(every)
        reported = await consumer.end_offsets(every)  # a lower bound on Tansu
        parts = [tp for tp in every if reported[tp] > starts[tp]]  # empty ones hold nothing
        if not parts:
            return {}
        found: dict[str, int] = {}
        read_from: dict[Any, int] = {}
        ends: dict[Any, int] = {}
        window = FIRST_WINDOW
        while True:
            for tp in parts:
                top = ends.get(tp, reported[tp])
                low = max(starts[tp], top - window)
                if tp not in read_from or low < read_from[tp]:
                    values, after = await read_partition(
                        consumer, tp, low, read_from.get(tp), reported[tp]
                    )
                    ends.setdefault(tp, after)
                    for channel, replay in newest_per_channel(values, channels).items():
                        found[channel] = max(replay, found.get(channel, -1))
                    read_from[tp] = low
            exhausted = all(read_from[tp] <= starts[tp] for tp in parts)
            if channels <= found.keys() or exhausted or window >= scan_max:
                return found
            window = min(window * 2, scan_max)
    finally:
        await consumer.stop()


async def recover_replay_ids(
    store: ReplayStore,
    channels: list[str],
    kafka: KafkaSettings,
    topics: list[str],
    *,
    scan_max: int,
) -> dict[str, int]:
    """Store the newest bridged replay id of every channel Redis has no position for."""
    missing = {channel for channel in channels if await store.get(channel) is None}
    if not missing:
        return {}
    found = await newest_replay_ids(kafka, topics, missing, scan_max=scan_max)
    for channel, replay_id in sorted(found.items()):
        await store.save(channel, replay_id)
    if found:
        log.warning("replay_ids_recovered_from_kafka", channels=sorted(found))
    unknown = sorted(missing - found.keys())
    if unknown:
        log.info("replay_ids_unknown", channels=unknown)  # first start, or older than the scan
    return found
