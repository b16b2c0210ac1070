"""`lawful backfill`: feed an existing org's records to the pipeline (SNAPSHOT messages)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

from workers.backfill.progress import Progress
from workers.backfill.run import backfill
from workers.bridge.kafka import build_producer
from workers.pipeline.logs import configure_logging
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings, load_settings


def _since(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("--since needs a time zone, e.g. 2026-11-29T00:00:00Z")
    return moment.astimezone(UTC)


async def _backfill(settings: Settings, entities: list[str], since: datetime | None) -> int:
    rest = SimpleSalesforceRest.from_settings(settings.salesforce)
    producer = build_producer(settings.kafka, linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        counts = await backfill(
            rest,
            producer,
            entities,
            since=since,
            page_size=settings.bridge.backfill_page_size,
            topic_prefix=settings.kafka.topic_prefix,
            progress=Progress(sys.stderr, entities=len(entities)),
        )
    finally:
        await producer.stop()
        rest.close()
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    print(f"backfilled {total:,} records of {len(counts)} entities in {seconds:.1f} s")
    return 0


def _run(args: argparse.Namespace) -> int:
    configure_logging("warning")  # stderr carries the progress bar
    settings = load_settings()
    entities = list(args.entities or settings.bridge.entities)
    return asyncio.run(_backfill(settings, entities, args.since))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="feed an existing org's records to the pipeline",
        description=(
            "Read every record of the CDC entities through the REST API (SOQL, paginated) and "
            "produce SNAPSHOT messages to lawful.sf-cdc.v1; safe while `lawful bridge` runs."
        ),
    )
    parser.add_argument("--entities", nargs="+", help="entities (default: LAWFUL_BRIDGE__ENTITIES)")
    parser.add_argument(
        "--since", type=_since, help="only records modified since this ISO instant (with zone)"
    )
    parser.set_defaults(func=_run)
