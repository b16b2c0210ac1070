"""CDC events delivered per second to one aiosfstream_ng subscriber, beside a raw baseline.

Usage: `uv run --frozen python -m bench.emulator_cdc [--events 20000] [--batch 200] [--https]`

Both runs replay the same backlog of change events (committed in transactions of `--batch`
changes) from the same server: the stand-alone streaming server over HTTP, or with `--https`
the full emulator (`EmulatorServer`, TLS, OAuth password flow).
* baseline: a raw aiohttp long-poll loop (handshake, connect, subscribe -2, connect, ...);
* client: the unmodified aiosfstream_ng `Client` with `ReplayOption.ALL_EVENTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiosfstream_ng.auth import PasswordAuthenticator
from aiosfstream_ng.client import Client
from aiosfstream_ng.replay import ReplayOption

from emulator.changes import RecordChange, Transaction
from emulator.server import EmulatorServer
from emulator.streaming import StreamingConfig, StreamingHub
from emulator.streaming.testing import StandaloneStreamingServer

CHANNEL = "/data/ContactChangeEvent"


@dataclass
class Target:
    """Where the bench connects: URLs, password-flow form, TLS context and the hub to feed."""

    instance_url: str
    token_url: str
    form: dict[str, str]
    context: ssl.SSLContext | None
    hub: StreamingHub


class _Authenticator(PasswordAuthenticator):
    """The stock password flow against the target's token URL (trusting its CA if any)."""

    def __init__(self, target: Target) -> None:
        form = target.form
        super().__init__(form["client_id"], form["client_secret"], form["username"], "")
        self._target = target

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        connector = aiohttp.TCPConnector(ssl=self._target.context or True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.post(self._target.token_url, data=self._target.form) as response,
        ):
            body: dict[str, Any] = await response.json()
            return response.status, body


@asynccontextmanager
async def _standalone(config: StreamingConfig) -> AsyncIterator[Target]:
    async with StandaloneStreamingServer(config) as server:
        server.hub.register_cdc_entity("Contact")
        form = {"grant_type": "password", "client_id": "k", "client_secret": "s", "username": "u"}
        yield Target(server.instance_url, server.token_url, form, None, server.hub)


@asynccontextmanager
async def _full_emulator(config: StreamingConfig) -> AsyncIterator[Target]:
    server = EmulatorServer(streaming_config=config)
    await asyncio.to_thread(server.start_in_thread)
    try:
        creds = server.credentials
        if creds is None:
            raise RuntimeError("the emulator started without credentials")
        form = {
            "grant_type": "password",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "username": creds.username,
            "password": creds.password + creds.security_token,
        }
        context = ssl.create_default_context(cafile=creds.ca_path)
        yield Target(creds.instance_url, creds.token_url, form, context, server.hub)
    finally:
        await asyncio.to_thread(server.stop)


def _commit_backlog(hub: StreamingHub, events: int, batch: int) -> None:
    stamp = int(time.time()) * 1000
    for start in range(0, events, batch):
        key = f"bench-{start}"
        changes = tuple(
            RecordChange(
                entity="Contact",
                change_type="CREATE",
                record_id=f"0035g0{index:012d}",
                values={"FirstName": "Bench", "LastName": f"Person {index}", "Email": None},
                nulled=(),
                transaction_key=key,
                commit_timestamp_ms=stamp,
                commit_number=index,
                commit_user="005000000000001AAA",
                change_origin="com/salesforce/api/rest/59.0",
                sequence_number=index - start + 1,
            )
            for index in range(start, min(start + batch, events))
        )
        hub.transaction_committed(Transaction(key, changes))


async def _raw_baseline(target: Target, events: int) -> float:
    url = f"{target.instance_url}/cometd/45.0"
    connector = aiohttp.TCPConnector(ssl=target.context or True)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        async with session.post(target.token_url, data=target.form) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def post(*messages: dict[str, Any]) -> list[dict[str, Any]]:
            async with session.post(url, json=list(messages), headers=headers) as response:
                body: list[dict[str, Any]] = await response.json()
                return body

        (handshake,) = await post({"channel": "/meta/handshake", "id": "0", "version": "1.0"})
        client_id = handshake["clientId"]
        connect = {"channel": "/meta/connect", "clientId": client_id, "id": "1"}
        await post(connect)
        replay = {"replay": {CHANNEL: -2}}
        subscribe = {"channel": "/meta/subscribe", "clientId": client_id, "id": "2"}
        await post(dict(subscribe, subscription=CHANNEL, ext=replay))
        received = 0
        while received < events:
            replies = await post(connect)
            received += sum(1 for reply in replies if reply["channel"] == CHANNEL)
        return events / (time.perf_counter() - started)


async def _client_run(target: Target, events: int) -> float:
    started = time.perf_counter()
    client = Client(_Authenticator(target), replay=ReplayOption.ALL_EVENTS)
    if target.context is not None:
        client.ssl = target.context  # aiocometd's SSL option; aiosfstream_ng doesn't forward it
    await client.open()
    try:
        await client.subscribe(CHANNEL)
        for _ in range(events):
            await asyncio.wait_for(client.receive(), 30)
    finally:
        await client.close()
    return events / (time.perf_counter() - started)


def _ignore_cancelled_connect(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """aiocometd logs its cancelled long poll on close(); that is expected here."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


async def run(events: int, batch: int, https: bool) -> None:
    asyncio.get_running_loop().set_exception_handler(_ignore_cancelled_connect)
    config = StreamingConfig(long_poll_timeout_s=1.0, daily_delivery_allocation=10 * events)
    server = _full_emulator(config) if https else _standalone(config)
    async with server as target:
        started = time.perf_counter()
        _commit_backlog(target.hub, events, batch)
        commit_rate = events / (time.perf_counter() - started)
        baseline = await _raw_baseline(target, events)
        client_rate = await _client_run(target, events)
    print(f"events={events} batch={batch} server={'emulator https' if https else 'http'}")
    print(f"hub commit rate:                {commit_rate:10.0f} changes/s")
    print(f"baseline raw aiohttp long-poll: {baseline:10.0f} events/s")
    print(f"aiosfstream_ng subscriber:      {client_rate:10.0f} events/s (target >= 2000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--https", action="store_true", help="use the full emulator over TLS")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.batch, args.https))


if __name__ == "__main__":
    main()
