"""Command line of the emulator: `lawful emulator ...` and `python -m emulator ...`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from emulator.config import OrgConfig
from emulator.seed import seed_org
from emulator.server import EmulatorServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (served as localhost)")
    parser.add_argument(
        "--http-port",
        type=int,
        default=None,
        help="also serve plain HTTP on this port (0 = any), for clients without a CA option",
    )
    parser.add_argument("--data", type=Path, help="JSON file: loaded at start, saved at stop")
    parser.add_argument("--seed-persons", type=int, default=0, help="generate N demo persons")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --seed-persons")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path("lawful-data/emulator"),
        help="where the CA, JWT key and credentials.json are written",
    )
    parser.add_argument("--api-limit", type=int, default=15_000, help="daily API allowance")
    parser.add_argument("--page-size", type=int, default=2000, help="SOQL page size")
    parser.add_argument("--token-ttl", type=float, default=7200.0, help="token lifetime (s)")
    parser.add_argument(
        "--cdc-entities",
        default=None,
        help="comma-separated objects selected for CDC (default: all standard and custom)",
    )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> int:
    config = OrgConfig(
        data_path=args.data,
        daily_api_limit=args.api_limit,
        query_page_size=args.page_size,
        token_ttl_s=args.token_ttl,
        cdc_entities=frozenset(n.strip() for n in args.cdc_entities.split(",") if n.strip())
        if args.cdc_entities
        else None,
    )
    server = EmulatorServer(
        config, state_dir=args.state_dir, host=args.host, port=args.port, http_port=args.http_port
    )
    await server.start()
    if args.seed_persons and server.org.count("Individual") == 0:
        report = seed_org(server.org, args.seed_persons, seed=args.seed)
        _say(
            f"seeded {report['persons']} persons ({report['records']} records) "
            f"in {report['seconds']} s"
        )
    _say(f"instance URL: {server.instance_url}")
    _say(f"CA file: {server.ca_path}")
    if server.http_url:
        _say(f"plain HTTP URL: {server.http_url}")
    _say(f"credentials: {server.credentials_path}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.astop()
        _say("emulator stopped")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(serve(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
