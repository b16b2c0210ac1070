"""Subscriber over a fake CometD client and an in-memory position store: ack-only positions,
expiry, watchdogs. (RedisReplayStore's compare-and-set is a Lua script, which fakeredis cannot
run; it is tested against a real Redis in tests/integration/test_sf_replay_store.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

import pytest
from aiosfstream_ng.auth import AuthenticatorBase
from aiosfstream_ng.exceptions import ServerError

from workers.salesforce.errors import ReplayIdExpired, ReplayIdExpiredError
from workers.salesforce.replay_store import StoreBackedReplay
from workers.salesforce.streaming import StreamEvent, StreamSubscriber

pytestmark = pytest.mark.component

CHANNEL = "/data/ContactChangeEvent"
EXPIRED = (
    "400::The replayId {{{0}}} you provided was invalid.  Please provide a valid ID, -2 to "
    "replay all events, or -1 to replay only new events."
)


def cdc(replay_id: int) -> dict[str, Any]:
    return {
        "channel": CHANNEL,
        "data": {
            "schema": "s",
            "payload": {"ChangeEventHeader": {"commitTimestamp": 1721136550000 + replay_id}},
            "event": {"replayId": replay_id},
        },
    }


class FakeOrg:
    """Scripted server side shared by every FakeClient a subscriber builds."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.subscribe_replays: list[int | None] = []
        self.expire_below: int | None = None  # stored ids below this are "out of retention"
        self.clients: list[FakeClient] = []
        self.second_client = asyncio.Event()

    def factory(self, authenticator: AuthenticatorBase, **kwargs: Any) -> FakeClient:
        client = FakeClient(self, kwargs["replay"])
        self.clients.append(client)
        if len(self.clients) == 2:
            self.second_client.set()
        return client


class FakeClient:
    def __init__(self, org: FakeOrg, replay: StoreBackedReplay) -> None:
        self.org, self.replay = org, replay
        self.subscriptions: set[str] = set()
        self.ssl: object = None
        self.closed = True

    async def open(self) -> None:
        self.closed = False

    async def subscribe(self, channel: str) -> None:
        replay_id = await self.replay.get_replay_id(channel)
        self.org.subscribe_replays.append(replay_id)
        expire_below = self.org.expire_below
        if expire_below is not None and replay_id is not None and 0 < replay_id < expire_below:
            error = EXPIRED.format(replay_id)
            raise ServerError("Subscribe request failed.", {"error": error, "successful": False})
        self.subscriptions.add(channel)

    async def receive(self) -> dict[str, Any]:
        message = await self.org.inbox.get()
        if message.get("channel") == "/meta/close":
            raise ServerError("Connection closed by the server", message)
        return message

    async def close(self) -> None:
        self.closed = True

    async def _close_http_session(self) -> None:
        return None


class MemoryStore:
    """`ReplayStore` in a dict, with the same only-forward rule as RedisReplayStore."""

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}

    async def get(self, channel: str) -> int | None:
        return self.positions.get(channel)

    async def save(self, channel: str, replay_id: int) -> bool:
        if self.positions.get(channel, replay_id - 1) >= replay_id:
            return False
        self.positions[channel] = replay_id
        return True

    async def forget(self, channel: str) -> None:
        self.positions.pop(channel, None)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def make_subscriber(org: FakeOrg, store: MemoryStore, liveness: float = 30.0) -> StreamSubscriber:
    return StreamSubscriber(
        cast(AuthenticatorBase, object()),
        store,
        [CHANNEL],
        liveness_timeout=liveness,
        max_backoff=0.01,
        client_factory=org.factory,  # type: ignore[arg-type]  # duck-typed fake client
    )


async def test_position_saved_only_after_handler_returns(store: MemoryStore) -> None:
    org = FakeOrg()
    for replay_id in (10, 11, 12):
        org.inbox.put_nowait(cdc(replay_id))
    handled: list[int] = []

    async def handler(channel: str, message: dict[str, Any]) -> None:
        replay_id = message["data"]["event"]["replayId"]
        assert await store.get(channel) == (handled[-1] if handled else None)
        if replay_id == 12:
            raise RuntimeError("projection write failed")
        handled.append(replay_id)

    with pytest.raises(RuntimeError, match="projection"):
        await make_subscriber(org, store).run(handler)
    assert handled == [10, 11]
    assert await store.get(CHANNEL) == 11  # the failed event is not marked as handled
    assert all(client.closed for client in org.clients)


async def test_events_wait_for_ack_and_library_never_writes(store: MemoryStore) -> None:
    org = FakeOrg()
    org.inbox.put_nowait(cdc(20))
    org.inbox.put_nowait(cdc(21))
    subscriber = make_subscriber(org, store)
    async with contextlib.aclosing(subscriber.events()) as events:
        first: StreamEvent = await anext(events)
        assert (first.channel, first.replay_id) == (CHANNEL, 20)
        # What aiosfstream_ng's AUTOMATIC policy would do on receive(): must not store.
        await org.clients[0].replay.extract_replay_id(first.message)
        assert await store.get(CHANNEL) is None
        second = await anext(events)
        await second.ack()
        assert await store.get(CHANNEL) == 21
        assert not await first.ack()  # a late ack of an older event never moves it back
    assert await store.get(CHANNEL) == 21


async def test_resubscribes_from_stored_position_after_server_close(
    store: MemoryStore,
) -> None:
    org = FakeOrg()
    await store.save(CHANNEL, 30)
    org.inbox.put_nowait(cdc(31))
    org.inbox.put_nowait({"channel": "/meta/close"})
    org.inbox.put_nowait(cdc(31))  # redelivered after the reconnect ...
    org.inbox.put_nowait(cdc(32))
    subscriber = make_subscriber(org, store)
    seen: list[int] = []
    async with contextlib.aclosing(subscriber.events()) as events:
        async for event in events:
            seen.append(event.replay_id)
            await event.ack()
            if event.replay_id == 32:
                break
    assert seen == [31, 32]  # ... and suppressed once already delivered
    assert org.subscribe_replays == [30, 31]
    assert subscriber.clients_built == 2


async def test_stored_id_out_of_retention_raises_replay_id_expired(
    store: MemoryStore,
) -> None:
    org = FakeOrg()
    org.expire_below = 1000
    await store.save(CHANNEL, 42)
    subscriber = make_subscriber(org, store)
    with pytest.raises(ReplayIdExpired) as expired:
        await anext(subscriber.events())
    assert isinstance(expired.value, ReplayIdExpiredError)
    assert expired.value.channel == CHANNEL
    assert expired.value.replay_id == 42
    assert not expired.value.retriable
    assert all(client.closed for client in org.clients)


async def test_vanished_subscription_is_resubscribed_and_expiry_surfaces(
    store: MemoryStore,
) -> None:
    org = FakeOrg()
    await store.save(CHANNEL, 50)
    subscriber = make_subscriber(org, store, liveness=0.2)  # watchdog every 0.05 s
    events = subscriber.events()
    org.inbox.put_nowait(cdc(51))
    event = await anext(events)
    await event.ack()
    # A re-handshake resubscribe failed inside the library: the channel silently disappears.
    org.clients[0].subscriptions.clear()
    org.expire_below = 10_000
    with pytest.raises(ReplayIdExpiredError):
        await asyncio.wait_for(anext(events), timeout=5)
    assert org.subscribe_replays[-1] == 51
    await events.aclose()


async def test_silent_stream_rebuilds_the_client(store: MemoryStore) -> None:
    org = FakeOrg()
    subscriber = make_subscriber(org, store, liveness=0.2)
    events = subscriber.events()
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.wait_for(org.second_client.wait(), timeout=5)
    org.inbox.put_nowait(cdc(60))
    event = await asyncio.wait_for(waiting, timeout=5)
    assert event.replay_id == 60
    assert org.clients[0].closed
    await events.aclose()


async def test_connect_after_a_reply_with_events_lingers() -> None:
    """A burst comes in fewer replies: the connect after a reply that carried events waits
    `connect_linger`; after an empty reply (or with no linger) it goes at once."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    replay = StoreBackedReplay(MemoryStore(), connect_linger=0.01, sleep=sleep)
    connect = {"channel": "/meta/connect", "successful": True}
    await replay.incoming([cdc(1), cdc(2), connect])
    await replay.outgoing([{"channel": "/meta/connect"}], {})
    assert slept == [0.01]
    await replay.outgoing([{"channel": "/meta/connect"}], {})  # no reply in between
    await replay.incoming([connect])  # held until the long poll timed out: nothing came
    await replay.outgoing([{"channel": "/meta/connect"}], {})
    assert slept == [0.01]
    await replay.incoming([connect, cdc(3)])
    subscribe = {"channel": "/meta/subscribe", "subscription": CHANNEL}
    await replay.outgoing([{"channel": "/meta/connect"}, subscribe], {})  # re-handshake batch
    assert slept == [0.01]
    await replay.outgoing([{"channel": "/meta/connect"}], {})
    assert slept == [0.01, 0.01]

    at_once = StoreBackedReplay(MemoryStore(), sleep=sleep)  # the default: no linger
    await at_once.incoming([cdc(4), connect])
    await at_once.outgoing([{"channel": "/meta/connect"}], {})
    assert slept == [0.01, 0.01]
