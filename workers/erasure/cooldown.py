"""Blocked requests that resume by themselves: a time-bound failure (API limit or budget used up,
Salesforce unavailable) blocks a request with a retry time in a Redis sorted set; `lawful erase
run` scans the set and resumes each request whose cool-down has ended. Other failures (refused
records, missing permission, policy refusal) stay blocked until an operator resumes them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis.exceptions
import structlog

from schemas.errors import LawfulError
from workers.salesforce.errors import ApiBudgetExhaustedError

if TYPE_CHECKING:
    from workers.erasure.executor import Executor

log = structlog.get_logger("lawful.erasure")
RESUMED = "resumed after cool-down"


def cools_down(exc: LawfulError) -> bool:
    """Whether the failure ends with time (a later attempt may succeed without anyone acting)."""
    return exc.retriable or isinstance(exc, ApiBudgetExhaustedError)


class RequestLocks:
    """One asyncio lock per request id, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, request_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(request_id, (asyncio.Lock(), 0))
        self._locks[request_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[request_id]
            if users <= 1:
                del self._locks[request_id]
            else:
                self._locks[request_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


async def resume_due(executor: Executor, now: datetime | None = None) -> list[str]:
    """Resume and drive every blocked request whose cool-down ended by `now`; returns their ids."""
    at = now or datetime.now(UTC)
    resumed: list[str] = []
    for request_id in await executor.store.due_retries(at.timestamp()):
        if executor.stopping:
            break
        async with executor.locks.hold(request_id):
            request = await executor.store.get(request_id)
            if request is None:
                await executor.store.drop_retry(request_id)
                continue
            if request.state != "blocked" or request.retry_at is None or request.retry_at > at:
                continue  # resumed meanwhile by an operator (put() already dropped it)
            executor.sf.recheck_budget()  # a used-up budget is asked again, not assumed
            await executor.resume(request, RESUMED)
        log.info("erasure_cooldown_over", request_id=request_id)
        await executor.run(request_id)
        resumed.append(request_id)
    return resumed


def scan_interval(retry_after: float | None) -> float:
    """How often `lawful erase run` looks for requests due (at most every 5 s)."""
    return 5.0 if retry_after is None else max(0.1, min(5.0, retry_after / 2))


async def retry_blocked(executor: Executor, stop: asyncio.Event) -> None:
    """Until `stop` is set: resume the requests whose cool-down ended (a Redis outage is
    logged and the scan tried again; the set survives a crash, so nothing is lost)."""
    every = scan_interval(executor.config.blocked_retry_after)
    while not stop.is_set():
        try:
            await resume_due(executor)
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("erasure_cooldown_scan_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
