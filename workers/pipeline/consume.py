"""The agents' event loop, one batch (Faust `take_events`) at a time.

Each event is timed, counted and handled against a `TableOverlay`; a failure never leaves the
agent (retriable ones are retried with back-off, the rest go to the dead-letter topic). Then,
in this order, so that a crash at any point loses nothing (broker.md §1 defect 2, §12.6):
1. flush: the batch's outputs and dead letters are on the broker;
2. the table changes are written and flushed (one changelog write per key per batch);
3. `mark`: one single-record changelog batch per partition, so that Tansu's under-reported end
   offset still covers every state write during recovery; flushed.
Offsets are committed by Faust only after its own producer flush, so a committed offset always
has its outputs and its state on the broker; anything later is simply processed again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterable, Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from workers.pipeline.backoff import with_retries
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.overlay import TableOverlay

Handler = Callable[[Origin, MutableMapping[str, bytes]], Awaitable[None]]
StoreChanges = Callable[[list[tuple[Any, bytes | None]]], Awaitable[None]]
"""Writes a batch's table changes (key, value; None: delete) instead of the table's own API."""


def origin_of(event: Any) -> Origin:
    """Where a Faust event came from (its message's topic, partition, offset, key and value)."""
    message = event.message
    return Origin(message.topic, message.partition, message.offset, message.key, message.value)


async def _nothing(*_args: Any) -> None:
    return None


async def consume_batches(
    batches: AsyncIterable[Sequence[Any]],
    handler: Handler,
    table: MutableMapping[Any, bytes],
    *,
    topic: str,
    agent: str,
    dead_letters: DeadLetters,
    metrics: PipelineMetrics,
    attempts: int,
    wait_max: float,
    flush: Callable[[], Awaitable[None]] = _nothing,
    mark: Callable[[set[int]], Awaitable[None]] = _nothing,
    bytes_keys: bool = True,
    store: StoreChanges | None = None,
) -> None:
    """Handle every event of `batches` (Faust `stream.take_events(...)`) with `handler`."""
    seen = metrics.events_in.labels(topic=topic)
    timing = metrics.handler_duration.labels(agent=agent)
    retried = metrics.retries.labels(agent=agent)
    async for events in batches:
        overlay = TableOverlay(table, bytes_keys=bytes_keys)
        last: dict[int, int] = {}  # partition -> last offset of the batch
        source = ""
        for event in events:
            origin = origin_of(event)
            last[origin.partition] = origin.offset
            source = origin.topic
            seen.inc()
            started = time.perf_counter()
            try:
                await with_retries(
                    functools.partial(handler, origin, overlay),
                    attempts=attempts,
                    wait_max=wait_max,
                    on_retry=lambda _exc: retried.inc(),
                )
            except Exception as exc:  # noqa: BLE001 - poison message: dead-letter it, go on
                await dead_letters(origin, exc)
            timing.observe(time.perf_counter() - started)
        await flush()
        if overlay.pending:
            if store is None:
                overlay.apply()
            else:
                await store(overlay.take())
            await flush()
            await mark(set(last))
            await flush()
        metrics.lag.handled(topic, source, last)
