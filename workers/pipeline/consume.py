"""The agents' event loop, one batch (Faust `take_events`) at a time.

Each event is timed, counted and handled against a `TableOverlay`; a failure never leaves the
agent (retriable ones are retried with back-off, the rest go to the dead-letter topic). Then,
in this order, so that a crash at any point loses nothing (broker.md §1 defect 2, §12.6):
1. flush: the batch's outputs and dead letters are on the broker;
2. the table changes are written (one changelog write per key per batch), then `mark` adds one
   single-record changelog batch per partition behind them, so that Tansu's under-reported end
   offset still covers every state write during recovery; both are flushed together (each
   partition's records go out in the order written).
A batch may be handled in several rounds (`round_max`). With `store`, a round settles (1, 2)
while the next one is handled, which reads the settling round's changes through its overlay.
Without `ack`, every round has settled before the next batch is taken, and Faust acks the
batch when the next one is taken. With `ack` (Faust's own acks deferred, acks.py), the next
batch is handled while the last round settles, and each event is acked only after its round has
settled. Either way a committed offset has its outputs and its state on the broker; anything
later is simply processed again.
"""

from __future__ import annotations

import asyncio
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
from workers.pipeline.overlay import Changes, TableOverlay

log = structlog.get_logger("lawful.pipeline.consume")

Handler = Callable[[Origin, MutableMapping[str, bytes]], Awaitable[None]]
BatchHandler = Callable[
    [Sequence[Origin], MutableMapping[str, bytes]], Awaitable[Sequence[tuple[Origin, Exception]]]
]
"""Handles a whole batch and returns its poison messages with their errors (no retriable I/O:
one that raises has its batch handled again one event at a time by the `Handler`)."""
Expand = Callable[[Origin], Sequence[Origin]]
"""The messages one consumed message carries (e.g. `PersonMessages`), each handled on its own."""
Ack = Callable[[Any], Awaitable[Any]]
"""Acks one Faust event (`Stream.ack`): its offset may then be committed."""
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
    ack: Ack | None = None,
) -> None:
    """Handle every event of `batches` (Faust `stream.take_events(...)`) with `batch_handler`
    when given, else with `handler` one event at a time; at most `round_max` (expanded)
    messages between two flushes. With `ack` (and `store`), the batches' own acks are
    ignored (`DeferredAcks`): each event is acked once its round has settled, and the next
    batch is handled meanwhile."""
    retried = metrics.retries.labels(agent=agent)
    loop = _AgentLoop(
        handler,
        table,
        topic=topic,
        dead_letters=dead_letters,
        metrics=metrics,
        timing=metrics.handler_duration.labels(agent=agent),
        retry=functools.partial(
            with_retries,
            attempts=attempts,
            wait_max=wait_max,
            on_retry=lambda _exc: retried.inc(),
        ),
        flush=flush,
        mark=mark,
        bytes_keys=bytes_keys,
        store=store,
        batch_handler=batch_handler,
    )
    if ack is None or store is None:
        async for events in batches:
            await loop.batch(_rounds(events, expand, round_max))
        return
    try:
        async for events in batches:
            await loop.batch(_rounds(events, expand, round_max), acked=(ack, events))
    except BaseException:
        await loop.stop()  # e.g. the agent is cancelled while it waits for a batch
        raise
    await loop.settled()


class _AgentLoop:
    """`consume_batches`' steps for one agent."""

    def __init__(
        self,
        handler: Handler,
        table: MutableMapping[Any, bytes],
        *,
        topic: str,
        dead_letters: DeadLetters,
        metrics: PipelineMetrics,
        timing: Any,
        retry: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]],
        flush: Callable[[], Awaitable[None]],
        mark: Callable[[set[int]], Awaitable[None]],
        bytes_keys: bool,
        store: StoreChanges | None,
        batch_handler: BatchHandler | None,
    ) -> None:
        self.handler, self.table, self.topic = handler, table, topic
        self.dead_letters, self.metrics, self.retry = dead_letters, metrics, retry
        self.flush, self.mark, self.store = flush, mark, store
        self.bytes_keys, self.batch_handler = bytes_keys, batch_handler
        self.seen = metrics.events_in.labels(topic=topic)
        self.timing = timing  # the handler-duration histogram of the agent
        self.in_flight: asyncio.Future[None] | None = None  # the round settling
        self.below: Changes | None = None  # its changes, until they are in the table

    async def batch(
        self,
        rounds: Iterator[Sequence[Origin]],
        acked: tuple[Ack, Sequence[Any]] | None = None,
    ) -> None:
        """Every round of one batch. Without `store`, each settles (`settle`) before the next;
        with it, a round settles while the next one is handled, which reads the settling
        round's changes (`below`) until they are in the table. Without `acked`, every round has
        settled when the batch returns; with it, the last round may still be settling, and
        the batch's events are acked (`acked`) once it has."""
        try:
            for final, origins in _with_final(rounds):
                last = {o.partition: o.offset for o in origins}  # last offset per partition
                source = origins[-1].topic if origins else ""
                overlay = await self.handle(origins, self.overlay_on(self.below))
                if self.store is None:
                    await self.settle(overlay, last, source)
                    continue
                await self.settled()
                self.below = overlay.changes
                self.in_flight = asyncio.ensure_future(
                    self.settle(overlay, last, source, acked if final else None)
                )
                await asyncio.sleep(0)  # its sends start before the next round is handled
            if acked is None:
                await self.settled()
        except BaseException:
            await self.stop()
            raise

    async def settled(self) -> None:
        """Wait until the round in flight (if any) has settled."""
        if self.in_flight is not None:
            await self.in_flight
            self.in_flight = None
            self.below = None

    async def stop(self) -> None:
        """The agent stops: a round still in flight is cancelled (nothing of it is acked)."""
        if self.in_flight is not None and not self.in_flight.done():
            self.in_flight.cancel()
        self.in_flight, self.below = None, None

    def overlay_on(self, below: Changes | None) -> TableOverlay:
        return TableOverlay(self.table, bytes_keys=self.bytes_keys, below=below)

    async def one_by_one(self, origins: Sequence[Origin], overlay: TableOverlay) -> None:
        for origin in origins:
            started = time.perf_counter()
            try:
                await self.retry(functools.partial(self.handler, origin, overlay))
            except Exception as exc:  # noqa: BLE001 - poison message: dead-letter it, go on
                await self.dead_letters(origin, exc)
            self.timing.observe(time.perf_counter() - started)

    async def handle(self, origins: Sequence[Origin], overlay: TableOverlay) -> TableOverlay:
        self.seen.inc(len(origins))
        if self.batch_handler is None or not origins:
            await self.one_by_one(origins, overlay)
            return overlay
        started = time.perf_counter()
        try:
            poisoned = await self.batch_handler(origins, overlay)
        except Exception as exc:  # noqa: BLE001 - never leave the agent
            # again one event at a time, on a fresh overlay (outputs already sent go out
            # twice: at-least-once, never lost)
            log.warning("batch_handler_failed", error_type=type(exc).__name__, events=len(origins))
            overlay = self.overlay_on(overlay.below)
            await self.one_by_one(origins, overlay)
            return overlay
        self.timing.observe((time.perf_counter() - started) / len(origins))  # mean per event
        for origin, error in poisoned:
            await self.dead_letters(origin, error)
        return overlay

    async def settle(
        self,
        overlay: TableOverlay,
        last: dict[int, int],
        source: str,
        acked: tuple[Ack, Sequence[Any]] | None = None,
    ) -> None:
        """The round's outputs on the broker, then its state writes and markers behind them;
        then the events of `acked` are acked."""
        await self.flush()
        if overlay.pending:
            if self.store is None:
                overlay.apply()
            else:
                await self.store(overlay.take())
            await self.mark(set(last))  # behind the state writes of each partition, in order
            await self.flush()
        self.metrics.lag.handled(self.topic, source, last)
        if acked is not None:
            ack, events = acked
            for event in events:
                await ack(event)


def _rounds(
    events: Sequence[Any], expand: Expand | None, limit: int | None
) -> Iterator[Sequence[Origin]]:
    """A batch's messages (each expanded, as late as possible), in rounds of at most `limit`
    (Faust's `take_events` counts Kafka messages, and one may carry many)."""
    origins = [origin_of(event) for event in events]
    if expand is None and (limit is None or len(origins) <= limit):
        yield origins
        return
    current: list[Origin] = []
    for origin in origins:
        current.extend(expand(origin) if expand is not None else (origin,))
        while limit is not None and len(current) >= limit:
            yield current[:limit]
            current = current[limit:]
    if current or not origins:
        yield current


def _with_final(rounds: Iterator[Sequence[Origin]]) -> Iterator[tuple[bool, Sequence[Origin]]]:
    """Each round, and whether it is the last one."""
    current = next(rounds, None)
    while current is not None:
        following = next(rounds, None)
        yield following is None, current
        current = following
