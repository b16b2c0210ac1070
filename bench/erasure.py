"""Erasure benchmark: time from request to tombstone for a ~50-record person, erasures per
minute, Salesforce API calls per erasure — beside a baseline measured in the same run.

Usage: `uv run --frozen python -m bench.erasure [--persons 30]`

The emulator runs as its own process, Redis embedded; Kafka is replaced by an in-memory
recorder (the executor waits for each acknowledgement, so a broker adds its round trips).
Baseline: the same kind of person erased the naive way, one REST DELETE per record id.
Targets: < 5 s to tombstone, >= 100 erasures/min, <= 5 + records/200 calls per erasure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio
import structlog
from prometheus_client import CollectorRegistry

from bench.backfill import seeded_emulator
from schemas.config import RulesConfig
from schemas.policy import Policy
from tests.integration.erasure_people import BuiltPerson, build_person
from workers.embedded.redis import start_embedded_redis
from workers.erasure.executor import Executor, ExecutorConfig
from workers.erasure.policy import load_policy
from workers.erasure.sf import ErasureSalesforce
from workers.erasure.store import ErasureRequest, RequestStore
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import SalesforceSettings


class Recorder:
    async def send(self, topic: str, key: str, value: Any) -> None:
        del topic, key, value


def executor(rest: SimpleSalesforceRest, client: redis.asyncio.Redis, workdir: Path) -> Executor:
    return Executor(
        sf=ErasureSalesforce(rest),
        store=RequestStore(client, "bench:"),
        tombstones=TombstoneLog(client, "bench:", workdir / "tombstones.jsonl"),
        suppression=SuppressionList(client, "bench:", b"b" * 32),
        producer=Recorder(),
        policy=load_policy(),
        engine=Policy(RulesConfig(), ()),
        config=ExecutorConfig(recipients=("r1", "r2"), hash_key=b"b" * 32),
    )


async def erase(ex: Executor, person: BuiltPerson, request_id: str) -> ErasureRequest:
    await ex.store.put(
        ErasureRequest(
            request_id=request_id,
            individual_id=person.individual_id,
            received_at=datetime.now(UTC),
        )
    )
    done = await ex.run(request_id)
    if done is None or done.state != "done":
        raise RuntimeError(f"{request_id} ended {done and done.state}: {done and done.reason}")
    return done


async def naive(rest: SimpleSalesforceRest, person: BuiltPerson) -> tuple[float, int]:
    started = time.perf_counter()
    ids = [i for sobject, ids in person.ids.items() if sobject != "Individual" for i in ids]
    for record_id in ids:
        await rest.delete([record_id])
    return time.perf_counter() - started, len(ids)


async def bench(credentials: Path, persons: int, workdir: Path, redis_url: str) -> None:
    settings = SalesforceSettings.model_validate(
        {"credentials_file": credentials, "auth_flow": "jwt"}
    )
    rest = SimpleSalesforceRest.from_settings(settings, registry=CollectorRegistry())
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        sf = await rest._session.client()
        people = [await asyncio.to_thread(build_person, sf) for _ in range(persons + 7)]
        ex = executor(rest, client, workdir)
        await erase(ex, people[0], "warm-up")  # describes are cached per process
        singles = [await erase(ex, p, f"single-{n}") for n, p in enumerate(people[1:6])]
        latencies = [
            ((s.history[-1].at - s.received_at).total_seconds(), s.api_calls) for s in singles
        ]
        records = statistics.mean(p.count for p in people[1:6])
        baseline_s, baseline_calls = await naive(rest, people[6])
        batch = people[7:]
        started = time.perf_counter()
        await asyncio.gather(*(erase(ex, p, f"batch-{n}") for n, p in enumerate(batch)))
        rate = len(batch) / (time.perf_counter() - started) * 60
    finally:
        rest.close()
        await client.aclose()
    median = statistics.median(t for t, _ in latencies)
    calls = statistics.mean(c for _, c in latencies)
    print(f"records per person          {records:.0f}")
    print(f"request -> tombstone        {median:.2f} s median (target < 5 s)")
    print(f"erasures per minute         {rate:.0f} ({len(batch)} concurrent) (target >= 100)")
    print(f"API calls per erasure       {calls:.1f} (target <= {5 + records / 200:.2f})")
    print(f"baseline: one DELETE/record {baseline_s:.2f} s, {baseline_calls} calls, no masking,")
    print("          no recycle-bin safety, no tombstone")


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=30, help="persons erased concurrently")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = start_embedded_redis()
        try:
            with seeded_emulator(0, workdir) as emulator:
                asyncio.run(bench(emulator.credentials, args.persons, workdir, server.url))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
