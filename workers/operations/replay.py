"""A `replay` operation: the bridge subscribes to one channel a second time, from the requested
replay id (-2: every retained event), and produces what it receives exactly as the live bridge
does, until it reaches the live subscription's stored position (or the channel goes quiet).

The live subscription and its stored replay id are left alone (the stored id only ever moves
forward, after the broker's ack), so the stream does not pause and no position moves back; the
replayed events are duplicates of ones already produced, which the pipeline ignores.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from workers.bridge.messages import from_stream, subscribed_channels
from workers.bridge.service import EventSource, Producer, wire_value
from workers.operations.backfill import OperationError
from workers.operations.progress import OperationProgress
from workers.salesforce.errors import ReplayIdExpiredError
from workers.salesforce.replay_store import ReplayStore
from workers.settings import Settings

log = structlog.get_logger(__name__)

REPLAY_ALL = -2  # CometD: every event still retained (salesforce.md, replay options)
SETTLE_EVERY = 200  # events produced before their acknowledgements are awaited

SubscriberFactory = Callable[[ReplayStore, list[str]], EventSource]


class MemoryReplayStore:
    """The replay subscription's own position, in memory (never the live one in Redis)."""

    def __init__(self, channel: str, replay_id: int) -> None:
        self._positions: dict[str, int] = {channel: replay_id}

    async def get(self, channel: str) -> int | None:
        return self._positions.get(channel)

    async def save(self, channel: str, replay_id: int) -> bool:
        current = self._positions.get(channel)
        if current is not None and current >= replay_id:
            return False
        self._positions[channel] = replay_id
        return True

    async def forget(self, channel: str) -> None:
        self._positions.pop(channel, None)


@dataclass(frozen=True)
class ReplayRequest:
    channel: str
    replay_id: int

    @classmethod
    def of(cls, operation: Mapping[str, str]) -> ReplayRequest:
        try:
            return cls(operation["channel"], int(operation["replay_id"]))
        except (KeyError, ValueError) as exc:
            raise OperationError("a replay needs a channel and an integer replay_id") from exc


class ReplayExecutor:
    """Runs replay operations on the bridge's producer with subscribers from `subscribers`."""

    def __init__(
        self,
        settings: Settings,
        producer: Producer,
        live: ReplayStore,
        subscribers: SubscriberFactory,
        *,
        first_event_timeout: float = 30.0,
        idle_timeout: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._live = live
        self._subscribers = subscribers
        self._first_event_timeout = first_event_timeout
        self._idle_timeout = idle_timeout
        self._clock = clock

    async def __call__(self, operation: Mapping[str, str], progress: OperationProgress) -> None:
        request = ReplayRequest.of(operation)
        channel = request.channel
        if channel not in subscribed_channels(self._settings.bridge):
            raise OperationError(f"the bridge does not subscribe to {channel}")
        live = await self._live.get(channel)
        if live is not None and request.replay_id >= live:
            log.info("replay_nothing_to_do", channel=channel, live_replay_id=live)
            return
        source = self._subscribers(MemoryReplayStore(channel, request.replay_id), [channel])
        try:
            await self._replay(source, channel, live, progress)
        except ReplayIdExpiredError as exc:
            raise OperationError(
                f"replay id {request.replay_id} on {channel} is outside the retention window; "
                f"replay every retained event ({REPLAY_ALL}) or run a backfill"
            ) from exc

    async def _replay(
        self, source: EventSource, channel: str, live: int | None, progress: OperationProgress
    ) -> None:
        window: list[list[asyncio.Future[Any]]] = []
        timeout = self._first_event_timeout
        try:
            async with contextlib.aclosing(source.events()) as events:
                while True:
                    try:
                        async with asyncio.timeout(timeout):
                            event = await anext(events)
                    except (TimeoutError, StopAsyncIteration):
                        break  # nothing more retained: caught up
                    timeout = self._idle_timeout
                    progress.read(1)
                    window.append(await self._produce(channel, event.message))
                    if len(window) >= SETTLE_EVERY:
                        await _settle(window, progress)
                    if live is not None and event.replay_id >= live:
                        break  # reached what the live subscription had stored
        finally:
            await _settle(window, progress)

    async def _produce(self, channel: str, message: dict[str, Any]) -> list[asyncio.Future[Any]]:
        outgoing = from_stream(
            channel, message, received_at=self._clock(), entities=self._settings.bridge.entities
        )
        prefix = self._settings.kafka.topic_prefix
        return [
            await self._producer.send(
                f"{prefix}{item.topic}", value=wire_value(item), key=item.key.encode()
            )
            for item in outgoing
        ]


async def _settle(window: list[list[asyncio.Future[Any]]], progress: OperationProgress) -> None:
    """Await the acknowledgements of everything produced so far, then count it."""
    pending, window[:] = list(window), []
    for deliveries in pending:
        for delivery in deliveries:
            await delivery
        progress.advance(len(deliveries))
