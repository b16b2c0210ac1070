"""CDC / platform-event subscriber over aiosfstream_ng with at-least-once replay positions.

`events()` yields `StreamEvent(channel, message, replay_id, ack)`; the position is saved only when
`ack()` is awaited. `run(handler)` acks after the handler returns (a raising handler stops the
subscriber and leaves the position where it was). The subscriber also:
- rebuilds the client after transport failures or a server-side close (reconnect with back-off
  from the stored positions);
- resubscribes a channel that silently vanished after a re-handshake (library quirk) and
  rebuilds the client when neither an event nor a successful connect came for
  `liveness_timeout` seconds;
- raises `ReplayIdExpired` when the stored replay id is older than the retention window.
Stop it by cancelling the task that iterates it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiosfstream_ng.auth import AuthenticatorBase
from aiosfstream_ng.client import Client, ReplayMarkerStoragePolicy
from aiosfstream_ng.exceptions import AiosfstreamException, AuthenticationError, ServerError
from redis.asyncio import Redis

from workers.salesforce.auth import ssl_context
from workers.salesforce.credentials import load_credentials
from workers.salesforce.errors import ReplayIdExpiredError, SalesforceAuthError
from workers.salesforce.replay_store import RedisReplayStore, ReplayStore, StoreBackedReplay
from workers.salesforce.streaming_auth import streaming_authenticator
from workers.settings import Settings

log = structlog.get_logger(__name__)

_REPLAY_INVALID = re.compile(r"replayId.*invalid", re.IGNORECASE | re.DOTALL)

Message = dict[str, Any]
Handler = Callable[[str, Message], Awaitable[None]]


@dataclass(frozen=True)
class StreamEvent:
    """One delivered event; await `ack()` once it is safely handled."""

    channel: str
    message: Message
    replay_id: int
    ack: Callable[[], Awaitable[bool]]


class _SubscriptionLostError(Exception):
    """Internal: the client must be rebuilt (silent subscription, closed by the server)."""


class StreamSubscriber:
    """Durable-position subscriber for a fixed set of channels."""

    def __init__(
        self,
        authenticator: AuthenticatorBase,
        store: ReplayStore,
        channels: Sequence[str],
        *,
        tls: ssl.SSLContext | None = None,
        default_replay: int | None = None,
        liveness_timeout: float = 300.0,
        max_backoff: float = 30.0,
        max_pending: int = 100,
        connect_linger: float = 0.0,
        client_factory: Callable[..., Client] = Client,
    ) -> None:
        if not channels:
            raise ValueError("subscribe to at least one channel")
        self.authenticator = authenticator
        self._store = store
        self.channels = tuple(channels)
        self._ssl = tls
        self._default_replay = default_replay
        self.liveness_timeout = liveness_timeout
        self._check_interval = min(5.0, liveness_timeout / 4)
        self._max_backoff = max_backoff
        self._max_pending = max_pending
        self._connect_linger = connect_linger
        self._client_factory = client_factory
        self._high_water: dict[str, int] = {}
        self.clients_built = 0
        self.client: Client | None = None
        self.ready = asyncio.Event()  # set while subscribed to every channel (readiness probe)

    @classmethod
    def from_settings(
        cls, settings: Settings, channels: Sequence[str], redis: Redis
    ) -> StreamSubscriber:
        """The production wiring: credentials, CA bundle, Redis positions, liveness window."""
        credentials = load_credentials(settings.salesforce)
        return cls(
            streaming_authenticator(credentials),
            RedisReplayStore(redis, key_prefix=settings.redis.key_prefix),
            channels,
            tls=ssl_context(credentials),
            default_replay=settings.salesforce.streaming_replay_default,
            liveness_timeout=settings.salesforce.streaming_liveness_timeout,
            connect_linger=settings.salesforce.streaming_connect_linger,
        )

    # -- client lifecycle -----------------------------------------------------------------------

    async def _open(self) -> tuple[Client, StoreBackedReplay]:
        replay = StoreBackedReplay(
            self._store, default_replay=self._default_replay, connect_linger=self._connect_linger
        )
        client = self._client_factory(
            self.authenticator,
            replay=replay,
            replay_storage_policy=ReplayMarkerStoragePolicy.MANUAL,
            connection_timeout=0,  # its timeout task is broken on Python >= 3.10 (quirk 1)
            max_pending_count=self._max_pending,
        )
        client.ssl = self._ssl
        self.clients_built += 1
        try:
            await client.open()
            for channel in self.channels:
                await self._subscribe(client, channel)
        except BaseException:
            await _close(client)
            raise
        return client, replay

    async def _subscribe(self, client: Client, channel: str) -> None:
        try:
            await client.subscribe(channel)
        except ServerError as exc:
            if exc.error_code == 400 and _REPLAY_INVALID.search(exc.error_message or ""):
                stored = await self._store.get(channel)
                raise ReplayIdExpiredError(channel, stored, exc.error or "") from exc
            raise
        log.info("salesforce_subscribed", channel=channel)

    async def _check_health(self, client: Client, replay: StoreBackedReplay, last: float) -> None:
        for channel in self.channels:
            if channel not in client.subscriptions:
                log.warning("salesforce_subscription_vanished", channel=channel)
                await self._subscribe(client, channel)
        quiet = time.monotonic() - max(last, replay.last_connect_ok)
        if quiet > self.liveness_timeout:
            raise _SubscriptionLostError(f"no event and no successful connect for {quiet:.1f}s")

    # -- delivery -------------------------------------------------------------------------------

    def _event(self, message: Message) -> StreamEvent | None:
        channel = str(message["channel"])
        replay_id = int(message["data"]["event"]["replayId"])
        if replay_id <= self._high_water.get(channel, -1):
            return None  # redelivered after a re-handshake while still queued here
        self._high_water[channel] = replay_id

        async def ack() -> bool:
            return await self._store.save(channel, replay_id)

        return StreamEvent(channel, message, replay_id, ack)

    async def _drain(self, client: Client, replay: StoreBackedReplay) -> AsyncIterator[StreamEvent]:
        last_event = time.monotonic()
        receiving: asyncio.Future[Message] | None = None
        try:
            while True:
                if receiving is None:
                    receiving = asyncio.ensure_future(client.receive())
                done, _ = await asyncio.wait({receiving}, timeout=self._check_interval)
                if receiving in done:
                    message, receiving = receiving.result(), None
                    last_event = time.monotonic()
                    event = self._event(message)
                    if event is not None:
                        yield event
                    continue
                await self._check_health(client, replay, last_event)
        finally:
            if receiving is not None:
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError, AiosfstreamException):
                    await receiving

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        """Events of all channels, across reconnects, until cancelled or a fatal error."""
        failures = 0
        while True:
            try:
                client, replay = await self._open()
            except AuthenticationError as exc:
                _raise_if_refused(exc)
                failures = await self._backoff(failures, exc)
                continue
            except (AiosfstreamException, OSError) as exc:
                failures = await self._backoff(failures, exc)
                continue
            self.client = client
            self.ready.set()
            try:
                async for event in self._drain(client, replay):
                    failures = 0
                    yield event
            except (AiosfstreamException, _SubscriptionLostError, OSError) as exc:
                log.warning("salesforce_stream_reconnecting", reason=str(exc))
                failures = await self._backoff(failures, exc, first_immediate=True)
            finally:
                self.ready.clear()
                self.client = None
                await _close(client)

    async def run(self, handler: Handler) -> None:
        """Call `handler(channel, message)` per event; save the position after it returns."""
        async with contextlib.aclosing(self.events()) as events:
            async for event in events:
                await handler(event.channel, event.message)
                await event.ack()

    async def _backoff(
        self, failures: int, exc: BaseException, *, first_immediate: bool = False
    ) -> int:
        if not (first_immediate and failures == 0):
            delay = min(self._max_backoff, 0.5 * 2**failures)
            delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
            log.warning("salesforce_stream_retry", error=type(exc).__name__, delay=round(delay, 2))
            await asyncio.sleep(delay)
        return failures + 1


def _raise_if_refused(exc: AuthenticationError) -> None:
    """A token endpoint that answered with an error body is a configuration problem."""
    body = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(body, dict) and "error" in body:
        raise SalesforceAuthError(str(body["error"]), str(body.get("error_description", "")))


async def _close(client: Client) -> None:
    # aiocometd's done-callback re-raises the CancelledError of the long poll that close()
    # cancels ("Exception in callback TransportBase._connect_done"); detach it first.
    transport = getattr(client, "_transport", None)
    connect_task = getattr(transport, "_connect_task", None)
    if isinstance(connect_task, asyncio.Future) and not connect_task.done():
        connect_task.remove_done_callback(transport._connect_done)  # type: ignore[union-attr]
    with contextlib.suppress(Exception):
        await client.close()
    # The library skips closing its HTTP session when open() failed after the handshake.
    await client._close_http_session()
