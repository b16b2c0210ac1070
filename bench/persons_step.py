"""CPU per person message of the persons step alone: `workers.pipeline.engine.step` plus the
`dump_json` of its outputs (what `PersonsProcessor._publish` serialises), without Kafka, Redis
writes or asyncio. The messages are bench/pipeline.py's CDC events through the records agent
(as in bench/pipeline_profile.py, on a real Redis), grouped per person in batches of `--batch`
like `PersonsProcessor.handle_batch`; then one TICK per person a day later (states decoded).
The garbage collector is tuned as the worker tunes it (`tune_gc`).

    uv run --frozen python bench/persons_step.py [--people 8000] [--rounds 5] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import redis.asyncio

from bench.pipeline import PURPOSE, PURPOSE_ID, cdc_events
from bench.pipeline_profile import Outbox, _noop, partitioned, run_agent
from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from schemas.fast_json import dump_json
from schemas.messages import PersonMessage
from schemas.policy import Policy
from workers.embedded.redis import redis_answers, start_embedded_redis
from workers.pipeline.engine import engine_binding, step
from workers.pipeline.links import LinkStore
from workers.pipeline.ports import CatalogueRecord
from workers.pipeline.purposes import PurposeCatalogue
from workers.pipeline.records import PERSON_EVENTS_TOPIC, RecordsProcessor

Batch = list[tuple[str, list[PersonMessage]]]


async def person_rows(url: str, people: int) -> tuple[list[tuple[str | None, bytes]], Policy]:
    """The person messages the records agent writes for `people` people, and the policy."""
    prefix = f"ps{uuid.uuid4().hex[:8]}:"
    client = redis.asyncio.Redis.from_url(url)
    try:
        catalogue = PurposeCatalogue(client, prefix, RulesConfig(), purpose_from_fields)
        await catalogue.apply(CatalogueRecord("DataUsePurpose", PURPOSE_ID, PURPOSE))
        engine = engine_binding(LinkStore(client, prefix))
        outbox = Outbox()
        records = RecordsProcessor(engine.apply_record, outbox, on_catalogue=catalogue.apply)
        rows = [(e.record_id, e.model_dump_json().encode()) for e in cdc_events(people)]
        await run_agent(partitioned("lawful.sf-cdc.v1", rows), records.handle, {}, 1000, _noop)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        return outbox.on(PERSON_EVENTS_TOPIC), catalogue.policy
    finally:
        await client.aclose()


def grouped(rows: Sequence[tuple[str | None, bytes]], size: int) -> list[Batch]:
    """Per partition, batches of `size` messages, each grouped per person in arrival order."""
    batches: list[Batch] = []
    for stream in partitioned(PERSON_EVENTS_TOPIC, rows):
        for start in range(0, len(stream), size):
            groups: dict[str, list[PersonMessage]] = {}
            for event in stream[start : start + size]:
                message = PersonMessage.model_validate_json(event.message.value or b"")
                groups.setdefault(message.individual_id, []).append(message)
            batches.append(list(groups.items()))
    return batches


def timed(batches: list[Batch], table: dict[str, bytes], now: datetime, policy: Policy) -> float:
    """CPU seconds of the step and its outputs' JSON over every batch (the table updated)."""
    started = time.process_time()
    for batch in batches:
        for person, messages in batch:
            result = step(table.get(person), messages, now, policy)
            if result.snapshot is not None:
                dump_json(result.snapshot)
            for output in (*result.changes, *result.audit, *result.alerts):
                dump_json(output)
            table[person] = result.state
    return time.process_time() - started


def ticks(table: dict[str, bytes], at: datetime) -> list[Batch]:
    return [[(p, [PersonMessage(individual_id=p, kind="TICK", tick_at=at)]) for p in table]]


def tune_gc() -> None:
    """As `workers.commands.worker.tune_gc` with the worker's default thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    server = None if redis_answers(args.redis) else start_embedded_redis()
    url = server.url if server is not None else args.redis
    try:
        rows, policy = asyncio.run(person_rows(url, args.people))
    finally:
        if server is not None:
            server.stop()
    batches = grouped(rows, args.batch)
    now = datetime.now(UTC)
    tune_gc()
    per_message: list[float] = []
    per_tick: list[float] = []
    for _ in range(args.rounds):
        table: dict[str, bytes] = {}
        per_message.append(timed(batches, table, now, policy) / len(rows) * 1e6)
        later = now + timedelta(days=1)
        per_tick.append(timed(ticks(table, later), table, later, policy) / len(table) * 1e6)
    print(f"persons step: {len(rows)} person messages, {len(batches)} batches")
    print("  CPU us per message:", " ".join(f"{v:.1f}" for v in per_message))
    print("  CPU us per TICK:   ", " ".join(f"{v:.1f}" for v in per_tick))
    print(
        f"  median: {statistics.median(per_message):.1f} us/message "
        f"({1e6 / statistics.median(per_message):,.0f} messages/s), "
        f"{statistics.median(per_tick):.1f} us/TICK"
    )


if __name__ == "__main__":
    main()
