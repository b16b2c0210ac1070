"""The worker's agent code without Kafka: bench/pipeline.py's CDC events through the records
agent, then the person messages it produced through the persons agent, on a real Redis, in
batches of `--batch` like Faust `take_events`. Prints events/s per agent; `--profile` adds a
cProfile of both (sorted by cumulative and by own time).

    uv run --frozen python bench/pipeline_profile.py [--people 4000] [--batch 1000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio

from bench.pipeline import PURPOSE, PURPOSE_ID, cdc_events
from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from tests.fixtures.faust_events import Event, Message
from workers.embedded.redis import redis_answers, start_embedded_redis
from workers.pipeline.consume import consume_batches
from workers.pipeline.dlq import DeadLetters
from workers.pipeline.engine import engine_binding
from workers.pipeline.links import LinkStore
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.persons import PersonsProcessor
from workers.pipeline.ports import CatalogueRecord
from workers.pipeline.purposes import PurposeCatalogue
from workers.pipeline.records import PERSON_EVENTS_TOPIC, RecordsProcessor
from workers.pipeline.scheduler import WakeupSchedule

PARTITIONS = 4


class Outbox:
    """The agents' `send`: keeps every produced message."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes]] = []

    async def __call__(self, topic: str, key: str | None, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def on(self, topic: str) -> list[tuple[str | None, bytes]]:
        return [(k, v) for t, k, v in self.sent if t == topic]


def partitioned(topic: str, rows: Sequence[tuple[str | None, bytes]]) -> list[list[Event]]:
    """Rows spread over partitions by key hash, consumed partition after partition."""
    parts: dict[int, list[Event]] = {p: [] for p in range(PARTITIONS)}
    for key, value in rows:
        partition = hash(key) % PARTITIONS
        raw_key = key.encode() if key is not None else None
        event = Event(Message(topic, partition, len(parts[partition]), raw_key, value))
        parts[partition].append(event)
    return [parts[p] for p in range(PARTITIONS)]


async def batches(streams: list[list[Event]], size: int) -> AsyncIterator[list[Event]]:
    for stream in streams:
        for start in range(0, len(stream), size):
            yield stream[start : start + size]


async def run_agent(
    streams: list[list[Event]],
    handler: Any,
    table: dict[Any, bytes],
    size: int,
    flush: Any,
    *,
    batch_handler: Any = None,
) -> float:
    metrics = PipelineMetrics()
    started = time.perf_counter()
    await consume_batches(
        batches(streams, size),
        handler,
        table,
        topic=streams[0][0].message.topic if streams and streams[0] else "t",
        agent="bench",
        dead_letters=DeadLetters(Outbox(), metrics),
        metrics=metrics,
        attempts=1,
        wait_max=0.01,
        flush=flush,
        batch_handler=batch_handler,
    )
    return time.perf_counter() - started


async def run(url: str, people: int, size: int, profile: cProfile.Profile | None) -> None:
    prefix = f"bp{uuid.uuid4().hex[:8]}:"
    client = redis.asyncio.Redis.from_url(url)
    try:
        catalogue = PurposeCatalogue(client, prefix, RulesConfig(), purpose_from_fields)
        await catalogue.apply(CatalogueRecord("DataUsePurpose", PURPOSE_ID, PURPOSE))
        engine = engine_binding(LinkStore(client, prefix))
        outbox = Outbox()
        schedule = WakeupSchedule(client, prefix)
        records = RecordsProcessor(engine.apply_record, outbox, on_catalogue=catalogue.apply)
        persons = PersonsProcessor(engine.step_person, outbox, lambda: catalogue.policy, schedule)
        events = cdc_events(people)
        rows = [(e.record_id, e.model_dump_json().encode()) for e in events]
        cdc_streams = partitioned("lawful.sf-cdc.v1", rows)
        if profile is not None:
            profile.enable()
        seconds = await run_agent(cdc_streams, records.handle, {}, size, _noop)
        person_rows = outbox.on(PERSON_EVENTS_TOPIC)
        person_streams = partitioned(PERSON_EVENTS_TOPIC, person_rows)
        person_seconds = await run_agent(
            person_streams,
            persons.handle,
            {},
            size,
            schedule.flush,
            batch_handler=persons.handle_batch,
        )
        if profile is not None:
            profile.disable()
        print(f"records agent: {len(rows)} CDC events, {len(rows) / seconds:,.0f} events/s")
        print(
            f"persons agent: {len(person_rows)} person messages, "
            f"{len(person_rows) / person_seconds:,.0f} messages/s"
        )
        total = seconds + person_seconds
        print(f"both (CDC events / total agent seconds): {len(rows) / total:,.0f} events/s")
        outputs: dict[str, int] = {}
        for topic, _key, _value in outbox.sent:
            outputs[topic] = outputs.get(topic, 0) + 1
        print("outputs:", dict(sorted(outputs.items())))
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def _noop() -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    server = None if redis_answers(args.redis) else start_embedded_redis()
    url = server.url if server is not None else args.redis
    try:
        asyncio.run(run(url, args.people, args.batch, profile))
    finally:
        if server is not None:
            server.stop()
    if profile is not None:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(35)


if __name__ == "__main__":
    main()
