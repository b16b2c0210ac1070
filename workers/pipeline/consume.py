"""The agents' event loop, one batch (Faust `take_events`) at a time.

Each event is timed, counted and handled against a `TableOverlay`; a failure never leaves the
agent (retriable ones are retried with back-off, the rest go to the dead-letter topic). Then,
in this order, so that a crash at any point loses nothing (broker.md §1 defect 2, §12.6):
1. flush: the batch's outputs and dead letters are on the broker;
2. the table changes are written (one changelog write per key per batch), then `mark` adds one
   single-record changelog batch per partition behind them, so that Tansu's under-reported end
   offset still covers every state write during recovery; both are flushed together (each
   partition's records go out in the order written).
Offsets are committed by Faust only after its own producer flush, so a committed offset always
has its outputs and its state on the broker; anything later is simply processed again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Iterator,
    MutableMapping,
    Sequence,
)
from typing import Any

import structlog

from workers.pipeline.backoff import with_retries
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.overlay import TableOverlay

log = structlog.get_logger("lawful.pipeline.consume")

Handler = Callable[[Origin, MutableMapping[str, bytes]], Awaitable[None]]
BatchHandler = Callable[
    [Sequence[Origin], MutableMapping[str, bytes]], Awaitable[Sequence[tuple[Origin, Exception]]]
]
"""Handles a whole batch and returns its poison messages with their errors (no retriable I/O:
one that raises has its batch handled again one event at a time by the `Handler`)."""
Expand = Callable[[Origin], Sequence[Origin]]
"""The messages one consumed message carries (e.g. `PersonMessages`), each handled on its own."""
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
    batch_handler: BatchHandler | None = None,
    expand: Expand | None = None,
    round_max: int | None = None,
) -> None:
    """Handle every event of `batches` (Faust `stream.take_events(...)`) with `batch_handler`
    when given, else with `handler` one event at a time; at most `round_max` (expanded)
    messages between two flushes."""
    seen = metrics.events_in.labels(topic=topic)
    timing = metrics.handler_duration.labels(agent=agent)
    retried = metrics.retries.labels(agent=agent)

    async def one_by_one(origins: Sequence[Origin], overlay: TableOverlay) -> None:
        for origin in origins:
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

    async def handle_round(origins: Sequence[Origin]) -> None:
        overlay = TableOverlay(table, bytes_keys=bytes_keys)
        last = {origin.partition: origin.offset for origin in origins}  # last offset per partition
        source = origins[-1].topic if origins else ""
        seen.inc(len(origins))
        if batch_handler is None or not origins:
            await one_by_one(origins, overlay)
        else:
            started = time.perf_counter()
            overlay, poisoned = await _whole_batch(
                batch_handler, one_by_one, origins, overlay, table, bytes_keys=bytes_keys
            )
            timing.observe((time.perf_counter() - started) / len(origins))  # mean per event
            for origin, exc in poisoned:
                await dead_letters(origin, exc)
        await flush()
        if overlay.pending:
            if store is None:
                overlay.apply()
            else:
                await store(overlay.take())
            await mark(set(last))  # behind the state writes of each partition, in order
            await flush()
        metrics.lag.handled(topic, source, last)

    async for events in batches:
        for origins in _rounds(events, expand, round_max):
            await handle_round(origins)


def _rounds(
    events: Sequence[Any], expand: Expand | None, limit: int | None
) -> Iterator[Sequence[Origin]]:
    """A batch's messages (each expanded), in rounds of at most `limit` (Faust's `take_events`
    counts Kafka messages, and one may carry many)."""
    origins = [origin_of(event) for event in events]
    if expand is not None:
        origins = [one for origin in origins for one in expand(origin)]
    if limit is None or len(origins) <= limit:
        yield origins
        return
    for start in range(0, len(origins), limit):
        yield origins[start : start + limit]


async def _whole_batch(
    batch_handler: BatchHandler,
    one_by_one: Callable[[Sequence[Origin], TableOverlay], Awaitable[None]],
    origins: Sequence[Origin],
    overlay: TableOverlay,
    table: MutableMapping[Any, bytes],
    *,
    bytes_keys: bool,
) -> tuple[TableOverlay, Sequence[tuple[Origin, Exception]]]:
    """`batch_handler` on the batch; if it raises, the batch again one event at a time on a
    fresh overlay (outputs it already sent go out twice: at-least-once, never lost)."""
    try:
        return overlay, await batch_handler(origins, overlay)
    except Exception as exc:  # noqa: BLE001 - never leave the agent
        log.warning("batch_handler_failed", error_type=type(exc).__name__, events=len(origins))
        fresh = TableOverlay(table, bytes_keys=bytes_keys)
        await one_by_one(origins, fresh)
        return fresh, ()
