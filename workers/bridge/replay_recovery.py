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

from collections.abc import Iterable
from typing import Any

import orjson
import structlog

from schemas.errors import TransientError
from workers.bridge.topic_reader import open_partitions, read_partition
from workers.salesforce.replay_store import ReplayStore
from workers.settings import KafkaSettings

log = structlog.get_logger("lawful.bridge.replay_recovery")

FIRST_WINDOW = 1000  # messages per partition read first; doubled until every channel is found


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


async def newest_replay_ids(
    kafka: KafkaSettings, topics: list[str], channels: set[str], *, scan_max: int
) -> dict[str, int]:
    """Scan the tails of `topics` (full names) for the newest replay id of each channel."""
    async with open_partitions(kafka, topics) as opened:
        if opened.missing:
            raise TransientError(f"topics not on the broker: {', '.join(opened.missing)}")
        consumer, parts, starts, reported = (
            opened.consumer,
            opened.parts,
            opened.starts,
            opened.ends,
        )
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
