"""The web page in a real headless Chromium (Debian's, driven over the DevTools protocol):
sign in with an API key, search, open a person and read why each cell is what it is."""

from __future__ import annotations

import asyncio
import base64
import itertools
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from aiohttp.test_utils import TestServer

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from tests.component.test_projection_builders import cell, days, snapshot
from workers.api.app import build_app
from workers.api.records import access_log_key
from workers.embedded.redis import free_port
from workers.erasure.store import ErasureRequest, RequestStore
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots
from workers.settings import ApiSettings, RedisSettings, Settings

pytestmark = pytest.mark.integration

KEY = "browser-viewer-key-0123456789"
NO_VALUE = "\u2013"  # the page shows an en dash for "none"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", "--remote-debugging-address=127.0.0.1"]  # fmt: skip


class DevTools:
    """A minimal Chrome DevTools Protocol client over one browser websocket (flat sessions)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.session: str | None = None

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"id": next(self.ids), "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        await self.socket.send_json(message)
        while True:
            answer = await asyncio.wait_for(self.socket.receive_json(), 30)
            if answer.get("id") == message["id"]:
                assert "error" not in answer, answer
                result: dict[str, Any] = answer["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def wait_for(self, expression: str) -> Any:
        """Poll `expression` until it is truthy (15 s at most)."""
        for _ in range(150):
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    async def type_into(self, selector: str, text: str) -> None:
        await self.evaluate(f"document.querySelector({selector!r}).focus()")
        await self.send("Input.insertText", text=text)


@pytest.fixture
async def site(
    redis_client: redis.asyncio.Redis, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[str]:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"pia viewer {KEY}\n")
    settings = Settings(
        redis=RedisSettings(key_prefix=redis_prefix), api=ApiSettings(api_keys_file=keys_file)
    )
    withdrawn = cell("pet-insurance", Channel.SMS, permitted=False, reason=Reason.CONSENT_WITHDRAWN)
    await write_snapshots(
        redis_client,
        Keys(redis_prefix),
        [
            snapshot("IND-7", cell("pet-insurance", Channel.EMAIL, valid_until=days(3)), withdrawn,
                     cell("billing", None, reason=Reason.CONTRACT_ACTIVE, basis=Basis.CONTRACT)),
            snapshot("IND-8", cell("car-insurance", Channel.EMAIL)),
        ],
    )  # fmt: skip
    store = RequestStore(redis_client, redis_prefix)
    received = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    finished = ErasureRequest(request_id="er-browser-done", individual_id="IND-9",
                              received_at=received, due=date(2026, 12, 2))  # fmt: skip
    for state in ("planned", "masking", "deleting", "purging", "notifying", "tombstoned", "done"):
        finished = finished.moved(state)
    await store.put(finished)
    stuck = ErasureRequest(request_id="er-browser-blocked", individual_id="IND-10",
                           received_at=received + timedelta(hours=1))  # fmt: skip
    await store.put(stuck.moved("planned").moved("blocked", "StepFailedError: delete refused"))
    server = TestServer(build_app(settings, redis_client), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[int]:
    """A headless Debian chromium; yields its DevTools port."""
    binary = shutil.which("chromium")
    assert binary, "Debian chromium is required: run .ci/browser-deps"
    port = free_port()
    command = [binary, *FLAGS, f"--remote-debugging-port={port}",
               f"--user-data-dir={tmp_path / 'profile'}", "about:blank"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def browser(chromium: int) -> AsyncIterator[DevTools]:
    async with aiohttp.ClientSession() as http:
        url = await _debugger_url(http, chromium)
        async with http.ws_connect(url, max_msg_size=64 * 1024 * 1024) as socket:
            tools = DevTools(socket)
            target = await tools.send("Target.createTarget", url="about:blank")
            attached = await tools.send(
                "Target.attachToTarget", targetId=target["targetId"], flatten=True
            )
            tools.session = attached["sessionId"]
            await tools.send("Page.enable")
            await tools.send("Runtime.enable")
            yield tools


async def _debugger_url(http: aiohttp.ClientSession, port: int) -> str:
    for _ in range(150):
        try:
            async with http.get(f"http://127.0.0.1:{port}/json/version") as answer:
                url: str = (await answer.json())["webSocketDebuggerUrl"]
                return url
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise AssertionError("chromium did not open its DevTools port")


async def test_officer_signs_in_searches_and_reads_why(
    site: str,
    browser: DevTools,
    tmp_path: Path,
    redis_client: redis.asyncio.Redis,
    redis_prefix: str,
) -> None:
    await browser.send("Page.navigate", url=site)
    await browser.wait_for(
        "document.readyState === 'complete' && !!document.getElementById('token')"
    )
    assert await browser.evaluate("document.getElementById('search').hidden") is True

    await browser.type_into("#token", KEY)
    await browser.evaluate("document.querySelector('#sign-in-form button').click()")
    await browser.wait_for("!document.getElementById('search').hidden")
    assert await browser.evaluate("sessionStorage.getItem('lawful.token')") == KEY
    assert await browser.evaluate("localStorage.length") == 0

    await browser.type_into("input[name=purpose]", "pet-insurance")
    await browser.evaluate("document.getElementById('search-button').click()")
    await browser.wait_for("document.querySelectorAll('#results tbody tr').length > 0")
    assert (
        await browser.evaluate("document.getElementById('status').textContent")
        == "1 person(s) found"
    )
    assert await browser.evaluate("document.querySelector('.person-link').textContent") == "IND-7"

    await browser.evaluate("document.querySelector('.person-link').click()")
    await browser.wait_for("!document.getElementById('person').hidden")
    rows = await browser.evaluate(
        "[...document.querySelectorAll('#cells tbody tr')]"
        ".map(r => [...r.cells].map(c => c.innerText))"
    )
    by_channel = {row[1]: row for row in rows}
    assert by_channel["SMS"][2] == "no"
    assert "The person withdrew consent." in by_channel["SMS"][3]
    assert "CONSENT_WITHDRAWN" in by_channel["SMS"][3]
    assert by_channel["EMAIL"][4:7] == ["R5", "consent", "CONSENT"]
    assert by_channel["EMAIL"][7].startswith(days(3).date().isoformat())
    assert "Necessary for an active contract." in by_channel[NO_VALUE][3]

    shot = await browser.send("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000
    (tmp_path / "person.png").write_bytes(png)

    reads = await redis_client.xrange(access_log_key(redis_prefix)) or []
    assert [(f[b"who"], f[b"individual_id"], f[b"action"]) for _, f in reads if f] == [
        (b"pia", b"IND-7", b"search"),
        (b"pia", b"IND-7", b"read"),
    ]


async def test_officer_sees_erasure_requests_and_their_state(
    site: str, browser: DevTools, redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    await browser.send("Page.navigate", url=site)
    await browser.wait_for(
        "document.readyState === 'complete' && !!document.getElementById('token')"
    )
    assert await browser.evaluate("document.getElementById('nav').hidden") is True
    await browser.type_into("#token", KEY)
    await browser.evaluate("document.querySelector('#sign-in-form button').click()")
    await browser.wait_for("!document.getElementById('search').hidden")

    await browser.evaluate("document.getElementById('nav-erasures').click()")
    await browser.wait_for("document.querySelectorAll('#erasure-list tbody tr').length === 2")
    assert await browser.evaluate("document.getElementById('search').hidden") is True
    rows = await browser.evaluate(
        "[...document.querySelectorAll('#erasure-list tbody tr')]"
        ".map(r => [...r.cells].map(c => c.innerText))"
    )
    by_request = {row[0]: row for row in rows}
    assert [row[0] for row in rows] == ["er-browser-blocked", "er-browser-done"]  # newest first
    done = by_request["er-browser-done"]
    assert done[1:3] == ["IND-9", "done"]
    assert done[4] == "2026-12-02"
    steps = [step.split(" ")[0] for step in done[8].split(" \u2192 ")]
    assert steps == ["planned", "masking", "deleting", "purging", "notifying", "tombstoned", "done"]
    blocked = by_request["er-browser-blocked"]
    assert blocked[2].startswith("blocked")
    assert "StepFailedError: delete refused" in blocked[2]
    assert blocked[4] == NO_VALUE
    status = await browser.evaluate("document.getElementById('erasures-status').textContent")
    assert status == "2 erasure request(s)"

    await browser.evaluate(
        "document.querySelector('#erasures-form select[name=state]').value = 'blocked'"
    )
    await browser.evaluate("document.getElementById('erasures-button').click()")
    await browser.wait_for("document.querySelectorAll('#erasure-list tbody tr').length === 1")
    only = await browser.evaluate(
        "document.querySelector('#erasure-list tbody tr').dataset.requestId"
    )
    assert only == "er-browser-blocked"

    reads = await redis_client.xrange(access_log_key(redis_prefix)) or []
    assert [(f[b"individual_id"], f[b"action"]) for _, f in reads if f] == [
        (b"IND-10", b"erasure-list"),
        (b"IND-9", b"erasure-list"),
        (b"IND-10", b"erasure-list"),
    ]
