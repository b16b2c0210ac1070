"""The projector: lawful.permissions.v1, lawful.alerts.v1 and the worker's `persons` changelog
into Redis (snapshots and indexes; alerts; person states and the contact lookup index).

No consumer group: partitions are assigned by hand and the next offsets are stored in Redis, in
the same transaction as the snapshots (or states). When the marker key is missing (first start,
Redis flushed), the index layout changed or a rebuild is asked for, everything derived is cleared
and the topics are read from the beginning, so Redis always corresponds to what Kafka holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pydantic
import redis.asyncio
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from schemas.messages import AlertMessage, PermissionsSnapshot
from workers.bridge.kafka import connection_options, lawful_topic
from workers.projection import metrics
from workers.projection.alerts import add_alerts
from workers.projection.keys import INDEX_VERSION, Keys
from workers.projection.states import StateRecord, state_record, write_states
from workers.projection.store import write_snapshots
from workers.settings import KafkaSettings
from workers.topics import changelog_name

log = structlog.get_logger(__name__)

PERMISSIONS = "lawful.permissions.v1"
ALERTS = "lawful.alerts.v1"
STATES = changelog_name("persons")
IDLE_POLLS = 4  # empty polls (0.5 s each) after which the projection counts as caught up


async def clear_projection(client: redis.asyncio.Redis, keys: Keys) -> int:
    """Delete every projection, state and lookup key (the marker and offsets included)."""
    deleted = 0
    for pattern in keys.derived_patterns:
        batch: list[bytes | str] = []
        async for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += await client.unlink(*batch)
                batch = []
        if batch:
            deleted += await client.unlink(*batch)
    return deleted


class Projector:
    """Consumes both topics into the projection until `stop` is set."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        keys: Keys,
        kafka: KafkaSettings,
        *,
        alerts_kept: int = 1000,
        batch_size: int = 500,
        lookup_secret: bytes | None = None,
    ) -> None:
        self.client = client
        self.keys = keys
        self.kafka = kafka
        self.alerts_kept = alerts_kept
        self.batch_size = batch_size
        self.lookup_secret = lookup_secret  # None: states are stored, contacts not indexed
        self.caught_up = asyncio.Event()
        self.rebuilds = 0
        self.topics = {
            lawful_topic(kafka, PERMISSIONS): PERMISSIONS,
            lawful_topic(kafka, ALERTS): ALERTS,
            lawful_topic(kafka, STATES): STATES,
        }

    async def run(self, stop: asyncio.Event, *, rebuild: bool = False) -> None:
        consumer = AIOKafkaConsumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # offset 0 before the log start resets to the start
            **connection_options(self.kafka),
        )
        await consumer.start()
        try:
            partitions = await self._assign(consumer)
            await self._position(consumer, partitions, rebuild=rebuild)
            idle = 0
            while not stop.is_set():
                if not await self.client.exists(self.keys.marker):
                    log.warning("projection marker missing: rebuilding from Kafka")
                    await self._position(consumer, partitions, rebuild=True)
                batches = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                if batches:
                    idle = 0
                    await self._apply(batches)
                    continue
                idle += 1
                if idle >= IDLE_POLLS or await _at_end(consumer, partitions):
                    self.caught_up.set()
                    metrics.CAUGHT_UP.set(1)
        finally:
            await consumer.stop()

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[Any]:
        partitions: list[Any] = []
        for topic in self.topics:
            for _ in range(50):
                found = consumer.partitions_for_topic(topic)
                if found:
                    break
                await consumer.topics()  # refreshes the cluster metadata
                await asyncio.sleep(0.1)
            if not found:
                log.warning("topic not found: not projected", topic=topic)
            partitions += [TopicPartition(topic, p) for p in sorted(found or ())]
        consumer.assign(partitions)
        return partitions

    async def _position(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[Any], *, rebuild: bool
    ) -> None:
        marker, version = await self.client.mget(self.keys.marker, self.keys.version)
        if rebuild or marker is None or version is None or _text(version) != INDEX_VERSION:
            await clear_projection(self.client, self.keys)
            await self.client.set(self.keys.version, INDEX_VERSION)
            await self.client.set(self.keys.marker, datetime.now(UTC).isoformat())
            metrics.REBUILDS.inc()
            self.rebuilds += 1
            self.caught_up.clear()
            metrics.CAUGHT_UP.set(0)
        stored = await self.client.hgetall(self.keys.offsets)
        offsets = {_text(k): int(v) for k, v in stored.items()}
        for tp in partitions:
            offset = offsets.get(f"{tp.topic}:{tp.partition}")
            if offset is None:
                consumer.seek(tp, 0)  # not seek_to_beginning: Tansu's ListOffsets is unreliable
            else:
                consumer.seek(tp, offset)

    async def _apply(self, batches: dict[Any, list[Any]]) -> None:
        snapshots: list[PermissionsSnapshot] = []
        alerts: list[AlertMessage] = []
        states: list[StateRecord] = []
        offsets: dict[str, int] = {}
        state_offsets: dict[str, int] = {}
        for tp, records in batches.items():
            kind = self.topics[tp.topic]
            for record in records:
                position = f"{tp.topic}:{tp.partition}"
                if kind == STATES:
                    state_offsets[position] = record.offset + 1
                    found = state_record(record.key, record.value, tp.partition, record.offset)
                    if found is not None:
                        states.append(found)
                    continue
                offsets[position] = record.offset + 1
                if record.value is None:
                    continue  # a compaction tombstone: the person stays as last projected
                try:
                    if kind == PERMISSIONS:
                        snapshots.append(PermissionsSnapshot.model_validate_json(record.value))
                    else:
                        alerts.append(AlertMessage.model_validate_json(record.value))
                except pydantic.ValidationError as error:
                    metrics.SNAPSHOTS.labels("invalid").inc()
                    log.warning(
                        "invalid message skipped",
                        topic=tp.topic,
                        partition=tp.partition,
                        offset=record.offset,
                        errors=error.error_count(),
                    )
        await add_alerts(self.client, self.keys, alerts, self.alerts_kept)
        metrics.ALERTS.inc(len(alerts))
        if state_offsets:
            stored = await write_states(
                self.client, self.keys, states, self.lookup_secret, offsets=state_offsets
            )
            for outcome in ("written", "stale", "invalid"):
                metrics.STATES.labels(outcome).inc(getattr(stored, outcome))
        result = await write_snapshots(
            self.client, self.keys, snapshots, extra={self.keys.offsets: offsets}
        )
        metrics.SNAPSHOTS.labels("written").inc(result.written)
        metrics.SNAPSHOTS.labels("stale").inc(result.stale)


async def _at_end(consumer: AIOKafkaConsumer, partitions: Sequence[Any]) -> bool:
    """Every partition read up to the high watermark its last fetch reported."""
    for tp in partitions:
        high = consumer.highwater(tp)
        if high is None or await consumer.position(tp) < high:
            return False
    return True


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
