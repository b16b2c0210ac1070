"""CDC events delivered per second to one aiosfstream_ng subscriber, beside a raw baseline.

Usage: `uv run --frozen python -m bench.emulator_cdc [--events 20000] [--batch 200]`

Both runs replay the same backlog of change events (committed in transactions of `--batch`
changes) from the same emulator streaming server:
* baseline: a raw aiohttp long-poll loop (handshake, connect, subscribe -2, connect, ...);
* client: the unmodified aiosfstream_ng `Client` with `ReplayOption.ALL_EVENTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp
from aiosfstream_ng.auth import PasswordAuthenticator
from aiosfstream_ng.client import Client
from aiosfstream_ng.replay import ReplayOption

from emulator.changes import RecordChange, Transaction
from emulator.streaming import StreamingConfig
from emulator.streaming.testing import StandaloneStreamingServer

CHANNEL = "/data/ContactChangeEvent"


class _Authenticator(PasswordAuthenticator):
    def __init__(self, token_url: str) -> None:
        super().__init__("bench-key", "bench-secret", "bench@example.org", "pw")
        self._bench_token_url = token_url

    @property
    def _token_url(self) -> str:
        return self._bench_token_url


def _commit_backlog(server: StandaloneStreamingServer, events: int, batch: int) -> None:
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
        server.hub.transaction_committed(Transaction(key, changes))


async def _raw_baseline(server: StandaloneStreamingServer, events: int) -> float:
    token = next(iter(server.tokens))
    url = f"{server.instance_url}/cometd/45.0"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:

        async def post(*messages: dict[str, Any]) -> list[dict[str, Any]]:
            async with session.post(url, json=list(messages), headers=headers) as response:
                body: list[dict[str, Any]] = await response.json()
                return body

        started = time.perf_counter()
        (handshake,) = await post({"channel": "/meta/handshake", "id": "0", "version": "1.0"})
        client_id = handshake["clientId"]
        connect = {"channel": "/meta/connect", "clientId": client_id, "id": "1"}
        await post(connect)
        subscribe = {
            "channel": "/meta/subscribe",
            "clientId": client_id,
            "id": "2",
            "subscription": CHANNEL,
            "ext": {"replay": {CHANNEL: -2}},
        }
        await post(subscribe)
        received = 0
        while received < events:
            replies = await post(connect)
            received += sum(1 for reply in replies if reply["channel"] == CHANNEL)
        return events / (time.perf_counter() - started)


async def _client_run(server: StandaloneStreamingServer, events: int) -> float:
    started = time.perf_counter()
    client = Client(_Authenticator(server.token_url), replay=ReplayOption.ALL_EVENTS)
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


async def run(events: int, batch: int) -> None:
    asyncio.get_running_loop().set_exception_handler(_ignore_cancelled_connect)
    config = StreamingConfig(long_poll_timeout_s=1.0, daily_delivery_allocation=10 * events)
    async with StandaloneStreamingServer(config) as server:
        server.hub.register_cdc_entity("Contact")
        server.tokens.add("bench-token")
        started = time.perf_counter()
        _commit_backlog(server, events, batch)
        commit_rate = events / (time.perf_counter() - started)
        baseline = await _raw_baseline(server, events)
        client_rate = await _client_run(server, events)
    print(f"events={events} batch={batch}")
    print(f"hub commit rate:               {commit_rate:10.0f} changes/s")
    print(f"baseline raw aiohttp long-poll: {baseline:10.0f} events/s")
    print(f"aiosfstream_ng subscriber:      {client_rate:10.0f} events/s (target >= 2000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.batch))


if __name__ == "__main__":
    main()
