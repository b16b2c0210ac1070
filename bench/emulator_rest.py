"""REST round trips per second through simple-salesforce, and seeding 100,000 persons.

Usage: `uv run --frozen python -m bench.emulator_rest [--calls 2000] [--persons 100000]`

Each figure is printed beside a baseline measured in the same run:
* REST: the emulator runs as its own process (`python -m emulator`, as in a demo); the baseline
  is a bare aiohttp HTTPS endpoint, also in its own process, fetched with the same
  `requests.Session`. Then simple-salesforce `sf.Individual.get(id)` and `sf.query(...)` by id
  (token check, API allowance, store read, record JSON) against the emulator;
* seeding: building one plain dict per person versus `seed_org` (with CDC into the streaming
  hub), with the growth of the process's resident memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from simple_salesforce.api import Salesforce, SFType

from emulator.org import Org
from emulator.seed import seed_org
from emulator.server import wire_streaming

BARE_SERVER = """
import socket, ssl, sys, trustme
from aiohttp import web
ca = trustme.CA()
ca.cert_pem.write_to_path(sys.argv[1])
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ca.issue_cert("localhost").configure_cert(context)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
async def ping(request):
    return web.json_response({"ok": True})
app = web.Application()
app.router.add_get("/ping", ping)
web.run_app(app, sock=sock, ssl_context=context, print=None, access_log=None)
"""


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


@contextmanager
def _process(args: list[str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _session(ca_path: str) -> requests.Session:
    session = requests.Session()
    session.verify = ca_path
    session.trust_env = False
    return session


def bench_baseline(calls: int, workdir: Path) -> float:
    ca_path = str(workdir / "bare-ca.pem")
    with _process([sys.executable, "-c", BARE_SERVER, ca_path]) as bare:
        port = int(bare.stdout.readline()) if bare.stdout else 0
        with _session(ca_path) as session:
            url = f"https://localhost:{port}/ping"
            return _rate(calls, lambda: session.get(url, timeout=10))


def bench_emulator(calls: int, workdir: Path) -> tuple[float, float]:
    state = workdir / "emulator"
    command = [sys.executable, "-m", "emulator", "--port", "0", "--state-dir", str(state)]
    with _process(command) as emulator:
        while emulator.stdout and "credentials:" not in emulator.stdout.readline():
            pass
        creds = json.loads((state / "credentials.json").read_text())
        with _session(creds["ca_path"]) as session:
            token = session.post(
                creds["token_url"],
                timeout=10,
                data={
                    "grant_type": "password",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "username": creds["username"],
                    "password": creds["password"] + creds["security_token"],
                },
            ).json()["access_token"]
            sf = Salesforce(instance_url=creds["instance_url"], session_id=token, session=session)
            individuals = getattr(sf, "Individual")  # noqa: B009 - typed by the check below
            if not isinstance(individuals, SFType):
                raise TypeError("unexpected simple-salesforce handler")
            record_id = individuals.create({"LastName": "Bench"})["id"]
            soql = f"SELECT Id, Name FROM Individual WHERE Id = '{record_id}'"  # noqa: S608
            gets = _rate(calls, lambda: individuals.get(record_id))
            queries = _rate(calls, lambda: sf.query(soql))
    return gets, queries


def bench_seed(persons: int) -> None:
    gc.collect()
    started = time.perf_counter()
    plain = [{"Id": n, "LastName": "x", "FirstName": "y"} for n in range(persons)]
    baseline_s = time.perf_counter() - started
    del plain
    org = Org()
    wire_streaming(org)
    before = _rss_mb()
    report = seed_org(org, persons, seed=1)
    grown = _rss_mb() - before
    print(f"seed baseline: {persons} plain dicts                 {baseline_s:8.2f} s")
    print(
        f"seed_org: {persons} persons, {report['records']} records, CDC into the hub: "
        f"{report['seconds']:.2f} s, +{grown:.0f} MB RSS (target < 60 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as workdir:
        baseline = bench_baseline(args.calls, Path(workdir))
        gets, queries = bench_emulator(args.calls, Path(workdir))
    print(f"REST baseline: bare aiohttp HTTPS GET via requests  {baseline:8.0f} round trips/s")
    print(f"simple-salesforce sObject GET (target >= 500/s)     {gets:8.0f} round trips/s")
    print(f"simple-salesforce SOQL query by Id                  {queries:8.0f} round trips/s")
    bench_seed(args.persons)


if __name__ == "__main__":
    main()
