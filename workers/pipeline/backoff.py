"""Retry of retriable failures (`exc.retriable`) with jittered exponential back-off."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def is_retriable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retriable", False))


def backoff_delay(attempt: int, *, base: float = 0.1, cap: float = 5.0) -> float:
    """Full-jitter delay before retry number `attempt` (1-based)."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))  # noqa: S311 - jitter only


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    wait_max: float,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """Await `call()`; retry a retriable failure up to `attempts` times in all, then re-raise."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_retriable(exc) or attempt >= attempts:
                raise
            if on_retry is not None:
                on_retry(exc)
            await asyncio.sleep(backoff_delay(attempt, cap=wait_max))
            attempt += 1
