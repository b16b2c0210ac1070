"""Raw Bayeux exchanges with the emulator's /cometd endpoint: shapes, errors, cookies, faults."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from emulator.streaming import StreamingConfig
from emulator.streaming.testing import ManualClock, StandaloneStreamingServer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

Messages = list[dict[str, Any]]
GOOD_TOKEN = "good-token"
HANDSHAKE = {
    "channel": "/meta/handshake",
    "version": "1.0",
    "supportedConnectionTypes": ["websocket", "long-polling"],
    "minimumVersion": "1.0",
    "id": "0",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[StandaloneStreamingServer]:
    config = StreamingConfig(long_poll_timeout_s=0.5, client_expiry_s=40.0)
    async with StandaloneStreamingServer(config, ManualClock()) as running:
        running.hub.register_cdc_entity("Contact")
        running.tokens.add(GOOD_TOKEN)
        yield running


class Bayeux:
    """A hand-driven CometD session over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str = GOOD_TOKEN) -> None:
        self.session = session
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client_id = ""

    async def post(self, *messages: dict[str, Any]) -> Messages:
        async with self.session.post(self.url, json=list(messages), headers=self.headers) as r:
            assert r.status == 200
            assert r.content_type == "application/json"
            body: Messages = await r.json()
            return body

    async def handshake(self) -> dict[str, Any]:
        (reply,) = await self.post(HANDSHAKE)
        self.client_id = reply.get("clientId", "")
        return reply

    def message(self, channel: str, id_: object, **fields: Any) -> dict[str, Any]:
        return {"channel": channel, "clientId": self.client_id, "id": id_, **fields}

    async def connect(self, id_: object = "1") -> Messages:
        return await self.post(self.message("/meta/connect", id_, connectionType="long-polling"))

    async def subscribe(self, channel: str, replay: int | None = None, id_: str = "2") -> Messages:
        ext = {} if replay is None else {"ext": {"replay": {channel: replay}}}
        return await self.post(self.message("/meta/subscribe", id_, subscription=channel, **ext))


@pytest_asyncio.fixture(loop_scope="module")
async def bayeux(server: StandaloneStreamingServer) -> AsyncIterator[Bayeux]:
    async with aiohttp.ClientSession() as session:
        yield Bayeux(session, f"{server.instance_url}/cometd/45.0")


async def test_handshake_advertises_long_polling_only_and_sets_cookie(bayeux: Bayeux) -> None:
    reply = await bayeux.handshake()
    assert reply["successful"] is True
    assert reply["supportedConnectionTypes"] == ["long-polling"]
    assert reply["ext"] == {"replay": True, "payload.format": True}
    assert reply["id"] == "0"
    assert reply["channel"] == "/meta/handshake"
    assert "advice" not in reply
    cookies = {cookie.key for cookie in bayeux.session.cookie_jar}
    assert "BAYEUX_BROWSER" in cookies


async def test_first_connect_returns_advice_and_echoes_numeric_id(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    (reply,) = await bayeux.connect(id_=7)
    assert reply == {
        "channel": "/meta/connect",
        "id": 7,
        "clientId": bayeux.client_id,
        "successful": True,
        "advice": {"interval": 0, "reconnect": "retry", "timeout": 5000},
    }


async def test_long_poll_is_held_until_timeout(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    started = time.monotonic()
    (reply,) = await bayeux.connect(id_="3")
    assert 0.4 < time.monotonic() - started < 3.0
    assert reply["successful"] is True
    assert "advice" not in reply


async def test_unknown_client_reply(server: StandaloneStreamingServer, bayeux: Bayeux) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    server.hub.drop_clients(bayeux.client_id)
    (reply,) = await bayeux.connect(id_="304")
    assert reply == {
        "advice": {"interval": 0, "reconnect": "handshake"},
        "channel": "/meta/connect",
        "id": "304",
        "error": "403::Unknown client",
        "successful": False,
    }


async def test_client_expires_when_it_stops_reconnecting(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    assert isinstance(server.clock, ManualClock)
    server.clock.advance(72 * 3600)  # the org clock does not age CometD sessions
    (alive,) = await bayeux.connect(id_="8")
    assert alive["successful"] is True
    expiry = server.hub.clients.expiry_s
    server.hub.clients.expiry_s = 0.2
    try:
        await asyncio.sleep(0.3)  # real time without a reconnect
        (reply,) = await bayeux.connect(id_="9")
    finally:
        server.hub.clients.expiry_s = expiry
    assert reply["error"] == "403::Unknown client"


async def test_subscribe_errors(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    (unknown,) = await bayeux.subscribe("/data/FooChangeEvent")
    assert unknown["error"] == (
        "400::The channel you requested to subscribe to doesn't exist /data/FooChangeEvent"
    )
    assert unknown["subscription"] == "/data/FooChangeEvent"
    (bad_replay,) = await bayeux.subscribe("/data/ContactChangeEvent", replay=5)
    assert re.fullmatch(
        r"400::The replayId \{5\} you provided was invalid\.\s+Please provide a valid ID, "
        r"-2 to replay all events, or -1 to replay only new events\.",
        bad_replay["error"],
    )
    (ok,) = await bayeux.subscribe("/data/ContactChangeEvent", replay=-1)
    assert ok["successful"] is True
    assert ok["subscription"] == "/data/ContactChangeEvent"


async def test_batch_after_rehandshake_returns_events_with_replies(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    await bayeux.subscribe("/data/ContactChangeEvent")
    replay_id = server.hub.force_gap("Contact", ["0035g00000XyZ1aAAF"], "GAP_DELETE")
    await bayeux.handshake()
    replies = await bayeux.post(
        bayeux.message("/meta/connect", "1", connectionType="long-polling"),
        bayeux.message(
            "/meta/subscribe",
            "2",
            subscription="/data/ContactChangeEvent",
            ext={"replay": {"/data/ContactChangeEvent": -2}},
        ),
    )
    channels = [reply["channel"] for reply in replies]
    assert channels == ["/data/ContactChangeEvent", "/meta/connect", "/meta/subscribe"]
    assert replies[0]["data"]["event"]["replayId"] == replay_id
    assert all(reply.get("successful", True) for reply in replies)


async def test_missing_cookie_is_refused_on_host_names_only(
    server: StandaloneStreamingServer,
) -> None:
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        by_name = Bayeux(session, f"{server.instance_url}/cometd/45.0")
        await by_name.handshake()
        (refused,) = await by_name.connect()
        assert refused["error"] == (
            f"400::Client {by_name.client_id} has established a session, "
            "but no BAYEUX_BROWSER cookie present"
        )
        port = server.instance_url.rsplit(":", 1)[1]
        by_ip = Bayeux(session, f"http://127.0.0.1:{port}/cometd/45.0")
        await by_ip.handshake()
        (accepted,) = await by_ip.connect()
        assert accepted["successful"] is True


async def test_bad_tokens(server: StandaloneStreamingServer) -> None:
    async with aiohttp.ClientSession() as session:
        good = Bayeux(session, f"{server.instance_url}/cometd/45.0")
        await good.handshake()
        bad = Bayeux(session, good.url, token="revoked")
        (denied,) = await bad.post(HANDSHAKE)
        assert denied["error"] == "403::Handshake denied"
        assert denied["ext"] == {"sfdc": {"failureReason": "401::Authentication invalid"}}
        bad.client_id = good.client_id
        (rejected,) = await bad.connect(id_="6")
        assert rejected["error"] == "401::Authentication invalid"
        assert rejected["advice"] == {"interval": 0, "reconnect": "none"}
        assert rejected["clientId"] == good.client_id


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/cometd/", "400::API version in the URI is mandatory"),
        ("/cometd/36.0", "400::Unsupported API version"),
    ],
)
async def test_api_version_is_checked(
    server: StandaloneStreamingServer, bayeux: Bayeux, path: str, error: str
) -> None:
    bayeux.url = f"{server.instance_url}{path}"
    (reply,) = await bayeux.post(HANDSHAKE)
    assert reply["error"].startswith(error)


async def test_trailing_slash_is_accepted(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    bayeux.url = f"{server.instance_url}/cometd/45.0/"
    assert (await bayeux.handshake())["successful"] is True


async def test_http_faults(server: StandaloneStreamingServer, bayeux: Bayeux) -> None:
    server.hub.fail_next_requests("http503")
    async with bayeux.session.post(bayeux.url, json=[HANDSHAKE], headers=bayeux.headers) as r:
        assert r.status == 503
        assert r.content_type == "text/html"
    server.hub.fail_next_requests("busy")
    (busy,) = await bayeux.post(HANDSHAKE)
    assert busy["ext"]["sfdc"]["failureReason"].startswith("503::Server is too busy.")
    server.hub.fail_next_requests("drop")
    with pytest.raises(aiohttp.ClientError):
        await bayeux.post(HANDSHAKE)
    assert (await bayeux.handshake())["successful"] is True


async def test_oversized_request_is_refused(bayeux: Bayeux) -> None:
    big = dict(HANDSHAKE, padding="x" * 40_000)
    async with bayeux.session.post(bayeux.url, json=[big], headers=bayeux.headers) as r:
        assert r.status == 413
        assert (await r.json())[0]["error"] == "413::Maximum Request Size Exceeded"


async def test_daily_limit_error_on_connect(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    await bayeux.handshake()
    server.hub.exhaust_daily_allocation()
    try:
        (reply,) = await bayeux.connect()
    finally:
        server.hub.reset_faults()
    assert reply["error"] == "403::Organization total events daily limit exceeded"
    assert server.hub.delivery_usage()[0] == 0


async def test_repeated_subscribe_keeps_its_position(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    await bayeux.subscribe("/data/ContactChangeEvent")
    replay_id = server.hub.force_gap("Contact", ["0035g00000XyZ1bAAF"], "GAP_UPDATE")
    await bayeux.subscribe("/data/ContactChangeEvent", id_="3")
    events = [m for m in await bayeux.connect(id_="4") if m["channel"].startswith("/data/")]
    assert [m["data"]["event"]["replayId"] for m in events] == [replay_id]


async def test_concurrent_client_limit(server: StandaloneStreamingServer, bayeux: Bayeux) -> None:
    limit = server.hub.config.max_concurrent_clients
    server.hub.config.max_concurrent_clients = server.hub.clients.count()
    try:
        reply = await bayeux.handshake()
    finally:
        server.hub.config.max_concurrent_clients = limit
    assert reply["error"] == "403::Handshake denied"
    assert reply["ext"]["sfdc"]["failureReason"] == (
        "403::Organization concurrent user limit exceeded"
    )


async def test_unsubscribe_and_disconnect(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    await bayeux.subscribe("/data/ContactChangeEvent")
    (unsubscribed,) = await bayeux.post(
        bayeux.message("/meta/unsubscribe", "5", subscription="/data/ContactChangeEvent")
    )
    assert unsubscribed["successful"] is True
    assert unsubscribed["subscription"] == "/data/ContactChangeEvent"
    server.hub.force_gap("Contact", ["0035g00000XyZ1cAAF"], "GAP_CREATE")
    assert await bayeux.connect(id_="6") == [
        {"channel": "/meta/connect", "id": "6", "clientId": bayeux.client_id, "successful": True}
    ]
    (disconnected,) = await bayeux.post(bayeux.message("/meta/disconnect", "7"))
    assert disconnected["successful"] is True
    (gone,) = await bayeux.connect(id_="8")
    assert gone["error"] == "403::Unknown client"


async def test_admin_routes_reject_bad_requests(
    server: StandaloneStreamingServer, bayeux: Bayeux
) -> None:
    admin = f"{server.instance_url}/_emulator/streaming"
    bad = {"entity": "Contact", "record_ids": ["003"], "change_type": "SNAPSHOT"}
    async with bayeux.session.post(f"{admin}/gap", json=bad) as response:
        assert response.status == 400
    async with bayeux.session.post(f"{admin}/overflow", json={}) as response:
        assert response.status == 400
    async with bayeux.session.get(f"{admin}/stats") as response:
        stats = await response.json()
    assert {"clients", "channels", "deliveries", "dropped_clients"} <= set(stats)
