"""The agents' event loop: time, count and handle each event; a failure never leaves the agent
(retriable ones are retried with back-off, the rest go to the dead-letter topic)."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterable, Awaitable, Callable, MutableMapping
from typing import Any

from workers.pipeline.backoff import with_retries
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics

Handler = Callable[[Origin, MutableMapping[str, bytes]], Awaitable[None]]


def origin_of(event: Any) -> Origin:
    """Where a Faust event came from (its message's topic, partition, offset, key and value)."""
    message = event.message
    return Origin(message.topic, message.partition, message.offset, message.key, message.value)


async def consume_events(
    events: AsyncIterable[Any],
    handler: Handler,
    table: MutableMapping[str, bytes],
    *,
    topic: str,
    agent: str,
    dead_letters: DeadLetters,
    metrics: PipelineMetrics,
    attempts: int,
    wait_max: float,
) -> None:
    """Handle every event of `events` (Faust `stream.events()`) with `handler`."""
    seen = metrics.events_in.labels(topic=topic)
    timing = metrics.handler_duration.labels(agent=agent)
    retried = metrics.retries.labels(agent=agent)
    async for event in events:
        origin = origin_of(event)
        seen.inc()
        started = time.perf_counter()
        try:
            await with_retries(
                functools.partial(handler, origin, table),
                attempts=attempts,
                wait_max=wait_max,
                on_retry=lambda _exc: retried.inc(),
            )
        except Exception as exc:  # noqa: BLE001 - poison message: dead-letter it, go on
            await dead_letters(origin, exc)
        timing.observe(time.perf_counter() - started)
