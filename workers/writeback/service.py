"""The write-back loop: consume lawful.permissions.v1, coalesce per person for `flush_interval`
seconds (or until `max_batch` persons are pending), write, then commit the consumed offsets.

Offsets are committed only after every pending person was written (or dropped for a permanent
error), so a crash repeats writes rather than losing them; repeats of an unchanged status are
skipped. Budget exhaustion or an unavailable org pauses consumption and retries the flush.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import structlog
from pydantic import ValidationError

from schemas.messages import PermissionsSnapshot
from workers.salesforce.errors import (
    ApiBudgetExhaustedError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)
from workers.writeback.coalesce import Coalescer
from workers.writeback.writer import StatusWriter, WritebackMetrics

log = structlog.get_logger(__name__)


class Consumer(Protocol):
    """The part of `AIOKafkaConsumer` the write-back uses."""

    async def getmany(self, *partitions: Any, timeout_ms: int = 0) -> dict[Any, list[Any]]: ...
    async def commit(self) -> None: ...


class Writeback:
    def __init__(
        self,
        consumer: Consumer,
        writer: StatusWriter,
        metrics: WritebackMetrics,
        *,
        flush_interval: float,
        max_batch: int,
        retry_wait: float = 5.0,
    ) -> None:
        self._consumer = consumer
        self._writer = writer
        self.metrics = metrics
        self.coalescer = Coalescer()
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._retry_wait = retry_wait
        self._uncommitted = 0
        self.flushes = 0

    async def run(self) -> None:
        """Until cancelled; the caller should `flush()` once more when stopping."""
        last_flush = time.monotonic()
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for message in messages:
                    self._add(message.value)
            due = time.monotonic() - last_flush >= self._flush_interval
            if len(self.coalescer) >= self._max_batch or (due and self._uncommitted):
                await self.flush()
                last_flush = time.monotonic()

    def _add(self, raw: bytes | None) -> None:
        self._uncommitted += 1
        if raw is None:  # a compaction tombstone: the person is gone
            self.metrics.snapshots.labels("tombstone").inc()
            return
        try:
            snapshot = PermissionsSnapshot.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("writeback_invalid_snapshot", error_count=exc.error_count())
            self.metrics.snapshots.labels("invalid").inc()
            return
        before = self.coalescer.coalesced
        self.coalescer.add(snapshot)
        outcome = "coalesced" if self.coalescer.coalesced > before else "pending"
        self.metrics.snapshots.labels(outcome).inc()

    async def flush(self) -> None:
        """Write every pending person (retrying while the org or budget says "later"), commit."""
        while True:
            updates = self.coalescer.updates()
            self.metrics.records.labels("unchanged").inc(len(self.coalescer) - len(updates))
            try:
                await self._writer.write(updates, self.coalescer.written)
            except (ApiBudgetExhaustedError, SalesforceUnavailableError) as exc:
                log.warning("writeback_paused", error=type(exc).__name__, retry_in=self._retry_wait)
                await asyncio.sleep(self._retry_wait)
                self._writer.recheck_budget()
                continue
            except SalesforceRequestError as exc:  # permanent: retrying cannot help
                log.exception(
                    "writeback_batch_rejected", error=exc.error_code, persons=len(updates)
                )
                self.metrics.records.labels("failed").inc(len(updates))
            break
        self.coalescer.clear()
        if self._uncommitted:
            await self._consumer.commit()
            self._uncommitted = 0
        self.flushes += 1
