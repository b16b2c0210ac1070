"""`lawful bridge`: forward Salesforce CDC and platform events to Kafka (run exactly one)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from workers.bridge.app import run_bridge
from workers.pipeline.logs import configure_logging
from workers.settings import load_settings


def _run(args: argparse.Namespace) -> int:
    del args
    configure_logging()
    asyncio.run(run_bridge(load_settings()))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bridge",
        help="forward Salesforce CDC and platform events to Kafka",
        description=(
            "Subscribe to the CDC channels and lawful's platform events, produce them to "
            "lawful.sf-cdc.v1 / lawful.sf-events.v1 and store each replay id in Redis once the "
            "broker acknowledged it. Settings: LAWFUL_* (docs/deploy.md §6). Health on "
            "LAWFUL_WEB__HOST:LAWFUL_WEB__PORT (/livez, /readyz, /metrics)."
        ),
    )
    parser.set_defaults(func=_run)
