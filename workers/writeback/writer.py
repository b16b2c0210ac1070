"""Writes Individual status updates through sObject Collections (200 records per call), at most
`calls_per_minute` calls, inside the REST adapter's daily budget share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog
from aiolimiter import AsyncLimiter
from prometheus_client import CollectorRegistry, Counter

from workers.salesforce.collections import COLLECTION_LIMIT, SaveResult, chunked

log = structlog.get_logger(__name__)


class Updater(Protocol):
    """The part of `SalesforceRest` the write-back uses."""

    async def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]: ...


class WritebackMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.snapshots = Counter(
            "lawful_writeback_snapshots",
            "Permission snapshots consumed, by outcome (pending, coalesced, invalid)",
            ["outcome"],
            registry=registry,
        )
        self.records = Counter(
            "lawful_writeback_records",
            "Individual records written, by outcome (written, failed, unchanged)",
            ["outcome"],
            registry=registry,
        )
        self.calls = Counter(
            "lawful_writeback_calls",
            "sObject Collections calls made by the write-back",
            registry=registry,
        )


class StatusWriter:
    """`write(updates, on_saved)`: `on_saved(fields)` for each saved record as soon as its call
    returned (so a failure in a later call does not repeat earlier ones); record-level failures
    (deleted Individual, validation rule) are logged and dropped."""

    def __init__(
        self, rest: Updater, metrics: WritebackMetrics, *, calls_per_minute: float
    ) -> None:
        self._rest = rest
        self._metrics = metrics
        self._limiter = AsyncLimiter(calls_per_minute, 60)

    def recheck_budget(self) -> None:
        """After a pause: let the next call ask Salesforce for the usage again (an exhausted
        budget refuses every call without asking, so the write-back would never resume)."""
        budget = getattr(self._rest, "budget", None)
        if budget is not None:
            budget.forget()

    async def write(
        self, updates: Sequence[dict[str, Any]], on_saved: Callable[[dict[str, Any]], None]
    ) -> int:
        saved = 0
        for chunk in chunked(updates, COLLECTION_LIMIT):
            async with self._limiter:
                self._metrics.calls.inc()
                results = await self._rest.update("Individual", chunk)
            for fields, result in zip(chunk, results, strict=True):
                if result.success:
                    on_saved(fields)
                    saved += 1
                    self._metrics.records.labels("written").inc()
                    continue
                codes = [error.status_code for error in result.errors]
                log.warning("writeback_record_failed", individual_id=fields["Id"], errors=codes)
                self._metrics.records.labels("failed").inc()
        return saved
