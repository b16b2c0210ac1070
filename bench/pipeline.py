"""End-to-end throughput of `lawful worker` on Tansu + Redis, beside two baselines measured in
the same run: a raw aiokafka consume + pydantic decode, and a no-op Faust agent built with the
worker's own app settings (broker.md §12). CDC messages are preloaded on lawful.sf-cdc.v1.

    uv run --frozen python bench/pipeline.py [--people 4000] [--workers 1 2]

Prints events/s (CDC events in / seconds from the first to the last consumed) per scenario, the
ratio to the no-op agent of the same run, events per CPU second of the Faust processes over
the same window (user + system time from /proc: steadier than events/s on a shared machine),
and the CPU seconds the broker (Tansu) and Redis spent per 1,000 events in that window (what
the same 2 cores give to the services rather than to the workers).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis as sync_redis
import redis.asyncio
import requests
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from schemas.messages import SalesforceEvent
from tests.fixtures.kafka import create_lawful_topics, produce
from tests.unit.test_pipeline_support import cdc, consent_fields, individual_fields
from workers.embedded.redis import free_port, start_embedded_redis
from workers.embedded.tansu import start_embedded_tansu
from workers.pipeline.ports import CatalogueRecord
from workers.pipeline.purposes import PurposeCatalogue

PURPOSE_ID = "0ZW000000000001AAA"
PURPOSE = {"Name": "Pet", "Lawful_Category__c": "MARKETING", "Lawful_Basis__c": "CONSENT"}
PARTITIONS = 4
NOOP_COUNT_KEY = "bench:noop:count"
TARGETS = {1: 6000, 2: 10000}
"""The issue's end-to-end targets (events/s) per number of worker processes."""


def cdc_events(people: int) -> list[SalesforceEvent]:
    """Per person: Individual CREATE, e-mail consent CREATE, and an OptOut UPDATE for every 4th."""
    now = datetime.now(UTC)
    events = []
    for n in range(people):
        person = f"0PK{n:012d}AAA"
        consent = f"0ZY{n:012d}AAA"
        events.append(cdc("Individual", "CREATE", person, individual_fields("UK"), at=now))
        fields = consent_fields(PURPOSE_ID, party=person, captured=now)
        events.append(cdc("ContactPointTypeConsent", "CREATE", consent, fields, at=now))
        if n % 4 == 0:
            update = {"PrivacyConsentStatus": "OptOut"}
            events.append(
                cdc("ContactPointTypeConsent", "UPDATE", consent, update, at=now + timedelta(1))
            )
    return events


async def raw_consume_baseline(bootstrap: str, topic: str, total: int) -> float:
    """aiokafka consume + SalesforceEvent.model_validate_json of every message: events/s."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for batch in batches.values():
                for record in batch:
                    SalesforceEvent.model_validate_json(record.value)
                seen += len(batch)
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


WORKER_SETTINGS: dict[str, str] = {}
"""`--set NAME=VALUE` settings for every worker process of the run (e.g. A/B of one setting)."""


def worker_env(bootstrap: str, redis_url: str, prefix: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env.update(WORKER_SETTINGS)
    env.update(
        {
            "LAWFUL_KAFKA__BOOTSTRAP": f"kafka://{bootstrap}",
            "LAWFUL_KAFKA__TOPIC_PREFIX": prefix,
            "LAWFUL_KAFKA__PARTITIONS": str(PARTITIONS),
            "LAWFUL_REDIS__URL": redis_url,
            "LAWFUL_REDIS__KEY_PREFIX": prefix,
            "LAWFUL_DATA_DIR": data_dir,
            "LAWFUL_WEB__HOST": "127.0.0.1",
            "BROKER_SESSION_TIMEOUT": "6",
            "BROKER_REBALANCE_TIMEOUT": "3",
            "BROKER_HEARTBEAT_INTERVAL": "1",
            "LAWFUL_SALESFORCE__CLIENT_ID": "",
        }
    )
    return env


def counter(port: int, name: str) -> float:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except requests.RequestException:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def pipeline_progress(ports: list[int], *, total: int) -> float:
    """CDC events consumed; `total` only once every person message they caused is consumed too."""
    cdc_in = sum(counter(p, 'lawful_events_in_total{topic="lawful.sf-cdc.v1"}') for p in ports)
    person_in = sum(
        counter(p, 'lawful_events_in_total{topic="lawful.person-events.v1"}') for p in ports
    )
    person_out = sum(
        counter(p, 'lawful_events_out_total{topic="lawful.person-events.v1"}') for p in ports
    )
    if cdc_in >= total and person_in >= person_out > 0:
        return float(total)
    return min(cdc_in, total - 1)


def measure(
    read: Callable[[], float],
    total: float,
    timeout: float = 600,
    on_first: Callable[[], None] = print,
) -> float:
    """Poll `read()` until it reaches `total`: events/s from the first to the last consumed."""
    deadline = time.monotonic() + timeout
    first: float | None = None
    while time.monotonic() < deadline:
        value = read()
        now = time.monotonic()
        if value > 0 and first is None:
            first = now
            on_first()
        if value >= total and first is not None:
            return total / max(now - first, 1e-3)
        time.sleep(0.25)
    raise TimeoutError(f"only {read()} of {total} after {timeout}s")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Rate:
    """Events per second of wall time, per CPU second of the measured processes, and the CPU
    seconds the broker and Redis spent per 1,000 events over the same window."""

    wall: float
    per_cpu: float
    services_per_1k: float = 0.0


def run_workers(
    command: list[str],
    count: int,
    env: dict[str, str],
    read: Callable[[list[int]], float],
    total: float,
    *,
    services: list[int],
) -> Rate:
    ports = [free_port() for _ in range(count)]
    procs = []
    logs = []
    try:
        for port in ports:
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            logs.append(log)
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter
                    [sys.executable, *command],
                    env={**env, "LAWFUL_WEB__PORT": str(port)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        pids = [proc.pid for proc in procs]
        started: list[tuple[float, float]] = []
        wall = measure(
            lambda: read(ports),
            total,
            on_first=lambda: started.append((cpu_seconds(pids), cpu_seconds(services))),
        )
        own, support = started[0]
        return Rate(
            wall,
            total / max(cpu_seconds(pids) - own, 1e-3),
            (cpu_seconds(services) - support) * 1000 / total,
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


async def preload(
    bootstrap: str, redis_url: str, prefix: str, events: list[SalesforceEvent]
) -> None:
    await create_lawful_topics(bootstrap, prefix, partitions=PARTITIONS)
    await produce(bootstrap, f"{prefix}lawful.sf-cdc.v1", events)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        catalogue = PurposeCatalogue(client, prefix, RulesConfig(), purpose_from_fields)
        await catalogue.apply(CatalogueRecord("DataUsePurpose", PURPOSE_ID, PURPOSE))
    finally:
        await client.aclose()


def noop_worker() -> None:
    """`--noop-worker`: a Faust agent doing nothing, on the worker's app settings."""
    import faust  # noqa: PLC0415

    from workers.pipeline.app import PipelineTopics, build_faust_app  # noqa: PLC0415
    from workers.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    app = build_faust_app(settings)
    topics = PipelineTopics.declare(app, settings.kafka.topic_prefix)
    client = sync_redis.Redis.from_url(settings.redis.url)
    key = f"{settings.kafka.topic_prefix}{NOOP_COUNT_KEY}"

    async def noop(stream: Any) -> None:
        async for batch in stream.take_events(1000, within=0.1):
            client.incrby(key, len(batch))

    app.agent(topics["lawful.sf-cdc.v1"], name="noop")(noop)
    faust.Worker(
        app, loglevel="warning", quiet=True, redirect_stdouts=False
    ).execute_from_commandline()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment setting for the workers, e.g. LAWFUL_PIPELINE__DELIVERY_PATCH=false",
    )
    parser.add_argument("--noop-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    WORKER_SETTINGS.update(item.split("=", 1) for item in args.set)
    if args.noop_worker:
        noop_worker()
        return
    events = cdc_events(args.people)
    total = len(events)
    with start_embedded_tansu() as broker:
        server = start_embedded_redis()
        try:
            with tempfile.TemporaryDirectory() as data_dir:
                results = run_all(
                    bootstrap=broker.bootstrap,
                    redis_url=server.url,
                    events=events,
                    total=total,
                    worker_counts=args.workers,
                    data_dir=data_dir,
                    services=[pid for pid in (broker.pid, server.pid) if pid is not None],
                )
        finally:
            server.stop()
    print(f"CDC events per scenario: {total} ({args.people} people), {PARTITIONS} partitions")
    print(f"{'':<48} {'events/s':>10} {'/ no-op':>8} {'per CPU-s':>10} {'svc CPU-s/1k':>12}")
    noop = results[1][1]
    for name, rate in results:
        if isinstance(rate, Rate):
            ratio = rate.wall / noop.wall if isinstance(noop, Rate) else 0.0
            print(
                f"{name:<48} {rate.wall:>10,.0f} {ratio:>8.2f} {rate.per_cpu:>10,.0f}"
                f" {rate.services_per_1k:>12.3f}"
            )
        else:
            print(f"{name:<48} {rate:>10,.0f}")
    for count, rate in zip(args.workers, (r for _, r in results[2:]), strict=True):
        if isinstance(rate, Rate) and count in TARGETS:
            verdict = "met" if rate.wall >= TARGETS[count] else "MISSED"
            print(f"target >= {TARGETS[count]:,} events/s with {count} worker(s): {verdict}")


def run_all(
    *,
    bootstrap: str,
    redis_url: str,
    events: list[SalesforceEvent],
    total: int,
    worker_counts: list[int],
    data_dir: str,
    services: list[int],
) -> list[tuple[str, float | Rate]]:
    """Raw consume, the no-op agent, then the worker with each of `worker_counts` processes."""
    results: list[tuple[str, float | Rate]] = []
    prefix = f"b{uuid.uuid4().hex[:8]}."
    asyncio.run(preload(bootstrap, redis_url, prefix, events))
    topic = f"{prefix}lawful.sf-cdc.v1"
    results.append(
        (
            "raw aiokafka consume + pydantic decode",
            asyncio.run(raw_consume_baseline(bootstrap, topic, total)),
        )
    )
    env = worker_env(bootstrap, redis_url, prefix, data_dir)
    sync = sync_redis.Redis.from_url(redis_url)
    try:
        noop = run_workers(
            [__file__, "--noop-worker"],
            1,
            env,
            lambda _ports: float(sync.get(f"{prefix}{NOOP_COUNT_KEY}") or 0),
            total,
            services=services,
        )
    finally:
        sync.close()
    results.append(("no-op Faust agent (worker settings), 1 process", noop))
    for count in worker_counts:
        run_prefix = f"b{uuid.uuid4().hex[:8]}."
        asyncio.run(preload(bootstrap, redis_url, run_prefix, events))
        run_env = worker_env(bootstrap, redis_url, run_prefix, str(Path(data_dir) / run_prefix))
        rate = run_workers(
            ["-m", "workers", "worker", "--tansu-compat"],
            count,
            run_env,
            functools.partial(pipeline_progress, total=total),
            total,
            services=services,
        )
        results.append((f"lawful worker, {count} process(es), end to end", rate))
    return results


if __name__ == "__main__":
    main()
