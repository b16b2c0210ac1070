"""The bridge loop: CometD events -> Kafka, replay ids stored in order after the broker's ack.

Receiving and acknowledging run as two tasks joined by a bounded queue: events are produced
without waiting (aiokafka batches them), and the acknowledger awaits each event's produce futures
in delivery order before storing its replay id, so a stored id never passes an unacknowledged
event. A failed produce stops the bridge (the process restarts from the stored ids).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from workers.bridge.messages import (
    CDC_TOPIC,
    MAX_VALUE_BYTES,
    Outgoing,
    as_gap,
    entities_of_channel,
    from_stream,
    resync_requests,
)
from workers.bridge.metrics import BridgeMetrics
from workers.salesforce.errors import ReplayIdExpiredError
from workers.salesforce.replay_store import ReplayStore
from workers.salesforce.streaming import StreamEvent
from workers.settings import BridgeSettings

log = structlog.get_logger(__name__)


class EventSource(Protocol):
    """What the bridge needs from `StreamSubscriber`."""

    ready: asyncio.Event

    def events(self) -> AsyncGenerator[StreamEvent, None]: ...


class Producer(Protocol):
    """What the bridge needs from `AIOKafkaProducer`."""

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]: ...


ACK_GROUP_MAX = 1000
"""Events whose replay id is stored by one write at most."""


@dataclass(frozen=True)
class _Pending:
    event: StreamEvent
    deliveries: Sequence[asyncio.Future[Any]]
    event_time: datetime | None


def event_time(message: dict[str, Any]) -> datetime | None:
    """Commit time of a CDC event, creation time of a platform event (for the lag gauge)."""
    payload = message.get("data", {}).get("payload", {})
    header = payload.get("ChangeEventHeader")
    if isinstance(header, dict) and isinstance(header.get("commitTimestamp"), int):
        return datetime.fromtimestamp(header["commitTimestamp"] / 1000, UTC)
    created = payload.get("CreatedDate")
    if isinstance(created, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(created.replace("Z", "+00:00"))
    return None


def wire_value(outgoing: Outgoing) -> bytes:
    """The message's bytes; a CDC change too large for the broker goes as its GAP_* form."""
    value = outgoing.value()
    if len(value) > MAX_VALUE_BYTES and outgoing.topic == CDC_TOPIC:
        log.warning("bridge_event_too_large_sent_as_gap", bytes=len(value))
        value = as_gap(outgoing).value()
    return value


class Bridge:
    """Forward every event of `source` to Kafka; `run()` until cancelled or a produce fails."""

    def __init__(
        self,
        source: EventSource,
        producer: Producer,
        store: ReplayStore,
        settings: BridgeSettings,
        *,
        topic_prefix: str = "",
        metrics: BridgeMetrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._source = source
        self._producer = producer
        self._store = store
        self._settings = settings
        self._prefix = topic_prefix
        self.metrics = metrics if metrics is not None else BridgeMetrics()
        self._clock = clock
        self._pending: asyncio.Queue[_Pending] = asyncio.Queue(settings.max_in_flight)
        self.expiries = 0

    @property
    def ready(self) -> bool:
        return self._source.ready.is_set()

    async def run(self, *, drain_timeout: float = 15.0) -> None:
        """Receive and acknowledge until cancelled; on the way out, stop receiving first and
        give in-flight events `drain_timeout` seconds to be acknowledged."""
        acker = asyncio.create_task(self._acknowledge(), name="bridge-ack")
        receiver = asyncio.create_task(self._receive(), name="bridge-receive")
        try:
            done, _ = await asyncio.wait({acker, receiver}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a failed produce or a fatal streaming error
        finally:
            await _cancel(receiver)
            if not acker.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.drain(), drain_timeout)
            await _cancel(acker)

    async def drain(self) -> None:
        """Wait until every produced event is acknowledged and its replay id stored."""
        await self._pending.join()

    # -- receiving ------------------------------------------------------------------------------

    async def _receive(self) -> None:
        while True:
            try:
                async with contextlib.aclosing(self._source.events()) as events:
                    async for event in events:
                        await self._forward(event)
            except ReplayIdExpiredError as exc:
                await self._resync(exc)
            else:
                return

    async def _send(self, outgoing: Outgoing) -> asyncio.Future[Any]:
        delivery = await self._producer.send(
            f"{self._prefix}{outgoing.topic}", value=wire_value(outgoing), key=outgoing.key.encode()
        )
        self.metrics.messages_out.labels(outgoing.topic, outgoing.event.channel).inc()
        return delivery

    async def _forward(self, event: StreamEvent) -> None:
        self.metrics.events_in.labels(event.channel).inc()
        outgoing = from_stream(
            event.channel,
            event.message,
            received_at=self._clock(),
            entities=self._settings.entities,
        )
        if not outgoing:
            self.metrics.skipped.labels(event.channel).inc()
        deliveries = [await self._send(item) for item in outgoing]
        await self._pending.put(_Pending(event, deliveries, event_time(event.message)))

    # -- acknowledging --------------------------------------------------------------------------

    async def _acknowledge(self) -> None:
        """In delivery order: wait for the broker's acks of every waiting event, then store the
        replay id of the last one per channel (one Redis write per group, not per event: the
        store only moves forward, and every earlier event of the group is acknowledged)."""
        while True:
            group = [await self._pending.get()]
            while not self._pending.empty() and len(group) < ACK_GROUP_MAX:
                group.append(self._pending.get_nowait())
            try:
                last: dict[str, _Pending] = {}
                for pending in group:
                    for delivery in pending.deliveries:
                        await delivery  # raises when the broker refused the message
                    last[pending.event.channel] = pending
                for pending in last.values():
                    await pending.event.ack()
                for pending in group:
                    channel = pending.event.channel
                    self.metrics.events_acked.labels(channel).inc()
                    if pending.event_time is not None:
                        lag = (self._clock() - pending.event_time).total_seconds()
                        self.metrics.replay_lag.labels(channel).set(max(0.0, lag))
            finally:
                for _ in group:
                    self._pending.task_done()

    # -- replay expiry --------------------------------------------------------------------------

    async def _resync(self, exc: ReplayIdExpiredError) -> None:
        """Ask the workers to reconcile what the lost window held, then start afresh."""
        channel = exc.channel
        self.expiries += 1
        self.metrics.replay_expired.labels(channel).inc()
        entities = entities_of_channel(channel, self._settings)
        log.error(
            "bridge_replay_id_expired",
            channel=channel,
            replay_id=exc.replay_id,
            resync_entities=entities,
        )
        await self.drain()
        requests = resync_requests(channel, entities, received_at=self._clock())
        deliveries: list[Awaitable[Any]] = [await self._send(item) for item in requests]
        for delivery in deliveries:
            await delivery
        for item in requests:
            self.metrics.resync_requests.labels(item.key).inc()
        await self._store.forget(channel)
        log.info("bridge_resubscribing", channel=channel)


async def _cancel(task: asyncio.Task[None]) -> None:
    if task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
