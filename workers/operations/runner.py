"""The operations runner: claim queued operations one kind at a time and execute them.

Status goes `queued` -> `running` -> `done` | `failed` with `started_at`, `finished_at`, counts
(`records_read`, `events_produced`, written every `report_interval` s while running), `attempts`
and `error`. An id stays on the processing list until its outcome is written, so a runner killed
with -9 runs it again on its next start (`requeue_abandoned`); SIGTERM gives it back to the queue.
Both kinds are idempotent (snapshots and re-delivered events are duplicates downstream).
Run exactly one runner per key prefix (it lives in `lawful bridge`, a single replica).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import structlog
from redis.exceptions import RedisError

from workers.operations.metrics import OperationMetrics
from workers.operations.progress import OperationProgress
from workers.operations.queue import OperationQueue

log = structlog.get_logger(__name__)

Executor = Callable[[Mapping[str, str], OperationProgress], Awaitable[None]]
"""Runs one operation (its hash fields), counting on the progress; raises when it fails."""

MAX_ERROR = 500
REDIS_RETRY_SECONDS = 5.0


def describe_error(exc: BaseException) -> str:
    """`Type: message`, cut to MAX_ERROR characters (stored on the operation, not logged)."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= MAX_ERROR else f"{text[: MAX_ERROR - 1]}…"


class OperationsRunner:
    """`run()` until cancelled: one loop per kind of `executors`, one operation at a time each."""

    def __init__(
        self,
        queue: OperationQueue,
        executors: Mapping[str, Executor],
        *,
        metrics: OperationMetrics | None = None,
        report_interval: float = 1.0,
        poll_interval: float = 0.5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._queue = queue
        self._executors = dict(executors)
        self.metrics = metrics if metrics is not None else OperationMetrics()
        self._report_interval = report_interval
        self._poll_interval = poll_interval
        self._clock = clock

    async def run(self) -> None:
        for kind in self._executors:
            requeued = await self._queue.requeue_abandoned(kind)
            if requeued:
                self.metrics.requeued.labels(kind).inc(len(requeued))
                log.warning("operations_requeued", kind=kind, operation_ids=requeued)
        log.info("operations_runner_started", kinds=sorted(self._executors))
        async with asyncio.TaskGroup() as group:
            for kind in self._executors:
                group.create_task(self._serve(kind), name=f"operations-{kind}")

    async def _serve(self, kind: str) -> None:
        while True:
            try:
                operation_id = await self._queue.claim(kind)
                if operation_id is None:
                    await asyncio.sleep(self._poll_interval)
                else:
                    await self.execute(kind, operation_id)
            except (RedisError, OSError) as exc:  # the bridge keeps streaming; try again later
                log.warning("operations_redis_unavailable", kind=kind, error=type(exc).__name__)
                await asyncio.sleep(REDIS_RETRY_SECONDS)

    async def execute(self, kind: str, operation_id: str) -> str:
        """Run one claimed operation to its outcome; returns the final status."""
        operation = await self._queue.read(operation_id)
        if not operation:
            await self._queue.drop(kind, operation_id)
            return "missing"
        progress = OperationProgress()
        started = {"started_at": self._now(), **progress.fields()}
        attempt = await self._queue.start(operation_id, started)
        log.info("operation_started", kind=kind, operation_id=operation_id, attempt=attempt)
        reporter = asyncio.create_task(self._report(operation_id, progress))
        self.metrics.running.labels(kind).inc()
        try:
            await self._executors[kind](operation, progress)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._queue.update(operation_id, progress.fields())
                await self._queue.release(kind, operation_id)
            log.info("operation_interrupted", kind=kind, operation_id=operation_id)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure ends this operation only
            outcome = {"status": "failed", "error": describe_error(exc)}
            log.warning("operation_failed", kind=kind, operation_id=operation_id,
                        error_type=type(exc).__name__)  # fmt: skip
        else:
            outcome = {"status": "done"}
        finally:
            self.metrics.running.labels(kind).dec()
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
        finished = {**outcome, **progress.fields(), "finished_at": self._now()}
        await self._queue.finish(kind, operation_id, finished)
        self.metrics.finished.labels(kind, outcome["status"]).inc()
        log.info("operation_finished", kind=kind, operation_id=operation_id,
                 status=outcome["status"], **progress.fields())  # fmt: skip
        return outcome["status"]

    async def _report(self, operation_id: str, progress: OperationProgress) -> None:
        while True:
            await asyncio.sleep(self._report_interval)
            with contextlib.suppress(Exception):  # a missed report is caught up by the next
                await self._queue.update(operation_id, progress.fields())

    def _now(self) -> str:
        return self._clock().isoformat()
