"""The erasure service's Redis state rebuilt from lawful.tombstones.v1 when Redis lost it.

The tombstone chain (a Redis list, mirrored to a JSONL file on the pod) and the suppression list
live in Redis; every tombstone is also published to lawful.tombstones.v1 (10 years' retention)
with its sequence, hashes and suppression scope. A marker key says the Redis copy is whole. When
it is missing (Redis flushed, failed over without persistence, or a first start), the service
reads the topic, puts the chain back if Redis has none (in sequence order, then verified), adds
every erased person's identifier hashes to the suppression list, and sets the marker. Until then
a guarded `TombstoneLog` refuses to append, so a lost chain is never forked from a new genesis.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
import redis.asyncio
import structlog

from schemas.enums import SuppressionScope
from workers.bridge.kafka import lawful_topic
from workers.bridge.topic_reader import open_partitions, read_partition
from workers.erasure.outputs import TOMBSTONES
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog, verify_entries
from workers.settings import KafkaSettings

log = structlog.get_logger("lawful.erasure.recovery")


async def published_tombstones(kafka: KafkaSettings) -> list[dict[str, Any]]:
    """Every tombstone on lawful.tombstones.v1, once per request, in chain order."""
    async with open_partitions(kafka, [lawful_topic(kafka, TOMBSTONES)]) as opened:
        by_request: dict[str, dict[str, Any]] = {}
        for tp in opened.parts:
            start, end = opened.starts[tp], opened.ends[tp]
            values, _ = await read_partition(opened.consumer, tp, start, None, end)
            for value in values:
                if value:
                    entry = orjson.loads(value)
                    by_request.setdefault(str(entry["request_id"]), entry)
        return sorted(by_request.values(), key=lambda entry: int(entry["sequence"]))


async def restore_erasure_state(
    client: redis.asyncio.Redis,
    tombstones: TombstoneLog,
    suppression: SuppressionList,
    kafka: KafkaSettings,
) -> bool:
    """Rebuild the chain and the suppression list if Redis lost them; True if it did."""
    if await client.exists(tombstones.kept_key):
        return False
    entries = await published_tombstones(kafka)
    rebuilt = False
    if entries and not await client.llen(tombstones.list_key):
        async with client.pipeline(transaction=True) as pipe:
            for position, entry in enumerate(entries):
                pipe.rpush(tombstones.list_key, orjson.dumps(entry))
                pipe.hset(tombstones.by_request, str(entry["request_id"]), position)
            await pipe.execute()
        rebuilt = True
        problem = verify_entries(entries)
        if problem is not None:
            log.error("tombstone_chain_broken", position=problem[0], reason=problem[1])
    for entry in entries:
        scope, hashes = entry.get("suppression_scope"), entry.get("identifier_hashes") or ()
        if scope and hashes:
            await suppression.add(hashes, SuppressionScope(scope))
    await client.set(tombstones.kept_key, "1")
    log.warning("erasure_state_restored", tombstones=len(entries), chain_rebuilt=rebuilt)
    return True


async def keep_restored(restore: Any, stop: asyncio.Event, every: float = 30.0) -> None:
    """`restore()` now and every `every` seconds until `stop` (a failure is retried)."""
    while not stop.is_set():
        try:
            await restore()
        except Exception as exc:  # noqa: BLE001 - retried at the next round; appends wait
            log.warning("erasure_restore_failed", error_type=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
