"""`lawful check`: exit 0 when every checked component is healthy, 1 otherwise (for probes,
deploy scripts and operators)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from workers.settings import load_settings

COMPONENTS = ("redis", "kafka", "salesforce")


def _run(args: argparse.Namespace) -> int:
    from workers.health.checks import run_checks  # noqa: PLC0415 - keeps `lawful --help` fast
    from workers.pipeline.logs import configure_logging  # noqa: PLC0415

    configure_logging("warning")  # JSON logs on stderr; stdout is the report
    settings = load_settings()
    skipped = set(args.skip or ())
    components = tuple(c for c in COMPONENTS if c not in skipped)
    results = asyncio.run(
        run_checks(settings, components=components, urls=tuple(args.url), seconds=args.timeout)
    )
    if args.json:
        rows = [
            {
                "component": r.component,
                "healthy": r.healthy,
                "detail": r.detail,
                "seconds": round(r.seconds, 3),
            }
            for r in results
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        for r in results:
            state = "ok  " if r.healthy else "FAIL"
            sys.stdout.write(f"{state} {r.component:<28} {r.detail} ({r.seconds:.2f}s)\n")
    return 0 if all(r.healthy for r in results) else 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check Redis, Kafka, Salesforce and running lawful processes; exit 1 if unhealthy",
        description="Checks the components named by the LAWFUL_ settings (Redis PING/INFO, Kafka "
        "metadata, a Salesforce token and REST call) and, for each --url, the process's /readyz. "
        "Exit code 0 when all are healthy, 1 otherwise.",
    )
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        help="base URL of a lawful process (worker, api, bridge...) whose /readyz must answer 200; "
        "repeatable",
    )
    parser.add_argument(
        "--skip", action="append", choices=COMPONENTS, help="a component not to check; repeatable"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per check")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=_run)
