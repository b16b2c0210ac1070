"""REST round trips per second through simple-salesforce, and seeding 100,000 persons.

Usage: `uv run --frozen python -m bench.emulator_rest [--calls 2000] [--persons 100000]`

Each figure is printed beside a baseline measured in the same run:
* REST: `requests` GETs of a bare aiohttp HTTPS endpoint (same CA, same loop thread) versus
  simple-salesforce `sf.Individual.get(id)` (auth, limits, store read, record JSON) and
  `sf.query(...)` by id against the emulator;
* seeding: building the same number of plain dicts (one per person) versus `seed_org`, with the
  process's resident memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from aiohttp import web
from simple_salesforce.api import Salesforce, SFType

from emulator.org import Org
from emulator.seed import seed_org
from emulator.server import EmulatorServer, wire_streaming


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1_048_576


def _rate(calls: int, action: Callable[[], Any]) -> float:
    for _ in range(min(50, calls)):
        action()
    started = time.perf_counter()
    for _ in range(calls):
        action()
    return calls / (time.perf_counter() - started)


class _BareServer:
    """A trivial aiohttp HTTPS endpoint on its own loop thread (the baseline)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def start(self) -> None:
        ready = threading.Event()

        async def hello(_: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        async def serve() -> None:
            app = web.Application()
            app.router.add_get("/ping", hello)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            await web.SockSite(self._runner, sock, ssl_context=self.context).start()

        def run() -> None:
            self.loop.run_until_complete(serve())
            ready.set()
            self.loop.run_forever()
            if self._runner is not None:
                self.loop.run_until_complete(self._runner.cleanup())
            self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def bench_rest(calls: int) -> None:
    server = EmulatorServer()
    server.start_in_thread()
    assert server.tls is not None
    bare = _BareServer(server.tls.context)
    bare.start()
    session = requests.Session()
    session.verify = str(server.ca_path)
    session.trust_env = False
    try:
        url = f"https://localhost:{bare.port}/ping"
        baseline = _rate(calls, lambda: session.get(url, timeout=10))
        creds = server.credentials
        assert creds is not None
        token = session.post(
            creds.token_url,
            timeout=10,
            data={
                "grant_type": "password",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "username": creds.username,
                "password": creds.password + creds.security_token,
            },
        ).json()["access_token"]
        sf = Salesforce(instance_url=server.instance_url, session_id=token, session=session)
        individuals = getattr(sf, "Individual")  # noqa: B009 - typed below
        assert isinstance(individuals, SFType)
        record_id = individuals.create({"LastName": "Bench"})["id"]
        gets = _rate(calls, lambda: individuals.get(record_id))
        queries = _rate(
            calls // 2,
            lambda: sf.query(f"SELECT Id, Name FROM Individual WHERE Id = '{record_id}'"),
        )  # noqa: E501, S608
        print(f"REST baseline (bare aiohttp GET via requests): {baseline:8.0f} round trips/s")
        print(f"simple-salesforce sObject GET:                 {gets:8.0f} round trips/s")
        print(f"simple-salesforce SOQL query by Id:             {queries:8.0f} round trips/s")
    finally:
        session.close()
        bare.stop()
        server.stop()


def bench_seed(persons: int) -> None:
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    plain = [{"Id": n, "LastName": "x", "FirstName": "y"} for n in range(persons)]
    baseline_s = time.perf_counter() - started
    del plain
    gc.collect()
    org = Org()
    wire_streaming(org)
    before = _rss_mb()
    report = seed_org(org, persons, seed=1)
    after = _rss_mb()
    print(f"seed baseline ({persons} plain dicts):          {baseline_s:8.2f} s")
    print(
        f"seed_org {persons} persons ({report['records']} records, CDC to the hub): "
        f"{report['seconds']:.2f} s, +{after - before:.0f} MB RSS (target < 60 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    bench_rest(args.calls)
    bench_seed(args.persons)


if __name__ == "__main__":
    main()
