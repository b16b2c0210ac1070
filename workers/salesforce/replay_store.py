"""Durable replay positions: saved only after the consumer confirms an event is handled.

aiosfstream_ng's own `ReplayMarkerStorage` stores the position inside `receive()`, before the
event is processed. `StoreBackedReplay` only *reads* positions for (re)subscribes; writing is left
to the subscriber's ack, so the library never advances the stored id itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiocometd_ng.typing import Headers, Payload
from aiosfstream_ng.replay import ReplayMarker, ReplayMarkerStorage
from redis.asyncio import Redis

_SAVE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


class ReplayStore(Protocol):
    """Last handled replay id per channel."""

    async def get(self, channel: str) -> int | None: ...
    async def save(self, channel: str, replay_id: int) -> bool:
        """Advance the position; False (and no write) when `replay_id` is not newer."""
        ...

    async def forget(self, channel: str) -> None: ...


class RedisReplayStore:
    """`ReplayStore` in Redis: one string key per channel under the configured prefix."""

    def __init__(self, redis: Redis, *, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._save_if_newer = redis.register_script(_SAVE_IF_NEWER)

    def key(self, channel: str) -> str:
        return f"{self._prefix}salesforce:replay:{channel}"

    async def get(self, channel: str) -> int | None:
        raw = await self._redis.get(self.key(channel))
        return None if raw is None else int(raw)

    async def save(self, channel: str, replay_id: int) -> bool:
        """Compare-and-set in one script call (one round trip to Redis): a redelivered (older)
        event never moves the position back."""
        saved = await self._save_if_newer(keys=[self.key(channel)], args=[str(replay_id)])
        return bool(saved)

    async def forget(self, channel: str) -> None:
        await self._redis.delete(self.key(channel))


class StoreBackedReplay(ReplayMarkerStorage):
    """Read-only bridge from a `ReplayStore` to aiosfstream_ng; also watches connect liveness."""

    def __init__(
        self,
        store: ReplayStore,
        *,
        default_replay: int | None = None,
        connect_linger: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__()
        self.store = store
        self.default_replay = default_replay
        self.last_connect_ok = time.monotonic()
        self.connect_failures = 0
        self.connect_linger = connect_linger
        self._sleep = sleep
        self._delivered = False  # the last connect reply came with events

    async def get_replay_marker(self, subscription: str) -> ReplayMarker | None:
        replay_id = await self.store.get(subscription)
        return None if replay_id is None else ReplayMarker(date="", replay_id=replay_id)

    async def get_replay_id(self, subscription: str) -> int | None:
        replay_id = await self.store.get(subscription)
        return self.default_replay if replay_id is None else replay_id

    async def set_replay_marker(self, subscription: str, replay_marker: ReplayMarker) -> None:
        """Deliberately nothing: positions are saved by the subscriber's ack only."""

    async def incoming(self, payload: Payload, headers: Headers | None = None) -> None:
        connect_reply = False
        for message in payload:
            if message.get("channel") == "/meta/connect":
                connect_reply = True
                if message.get("successful"):
                    self.last_connect_ok = time.monotonic()
                else:
                    self.connect_failures += 1
        if connect_reply:
            self._delivered = any(
                not str(message.get("channel", "")).startswith("/meta/") for message in payload
            )

    async def outgoing(self, payload: Payload, headers: Headers) -> None:
        """Hold the next long poll `connect_linger` seconds after a reply that carried events,
        so that events published meanwhile come in one response: one HTTP round trip (and one
        produce request, one replay-id write) for many events under load. A connect after an
        empty reply goes at once, so a lone event still arrives without the delay."""
        await super().outgoing(payload, headers)
        lone_connect = len(payload) == 1 and payload[0].get("channel") == "/meta/connect"
        if lone_connect and self._delivered and self.connect_linger > 0:
            self._delivered = False
            await self._sleep(self.connect_linger)
