"""`lawful backfill` throughput: persons per second from a seeded emulator into Tansu.

Usage: `uv run --frozen python -m bench.backfill [--persons 5000] [--rounds 5]`

The emulator runs as its own process (`python -m emulator --seed-persons N`, as in a demo), Tansu
as another. Printed beside a baseline measured in the same run: reading the same entities with
the same paginated SOQL through the same REST adapter, without shaping or producing anything
(the ceiling the org's API sets). Persons/s = seeded persons / seconds for all entities.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from workers.backfill.reader import pages
from workers.backfill.run import backfill
from workers.bridge.kafka import build_producer
from workers.embedded.tansu import start_embedded_tansu
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import KafkaSettings, SalesforceSettings, Settings


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RunningEmulator:
    credentials: Path
    pid: int


@contextmanager
def seeded_emulator(persons: int, workdir: Path) -> Iterator[RunningEmulator]:
    """Run the emulator with `persons` seeded people (its own process)."""
    state = workdir / "emulator"
    command = [
        sys.executable, "-m", "emulator", "--port", "0", "--state-dir", str(state),
        "--seed-persons", str(persons), "--api-limit", "1000000",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        while process.stdout and "credentials:" not in process.stdout.readline():
            if process.poll() is not None:
                raise RuntimeError("the emulator exited")
        yield RunningEmulator(state / "credentials.json", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


async def read_only(settings: Settings, entities: list[str]) -> tuple[int, float]:
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    started = time.perf_counter()
    count = 0
    try:
        for entity in entities:
            async for page in pages(rest, entity, since=None, page_size=2000):
                count += len(page.records)
    finally:
        rest.close()
    return count, time.perf_counter() - started


async def full_backfill(settings: Settings, entities: list[str]) -> tuple[int, float, int]:
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    producer = build_producer(settings.kafka, linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        counts = await backfill(
            rest, producer, entities, page_size=2000, topic_prefix=settings.kafka.topic_prefix
        )
        await producer.flush()
    finally:
        await producer.stop()
        rest.close()
    calls = sum(
        int(sample.value)
        for metric in rest.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == "lawful_salesforce_requests_total"
    )
    return sum(counts.values()), time.perf_counter() - started, calls


@dataclass(frozen=True)
class Round:
    read: int
    read_s: float
    produced: int
    backfill_s: float
    calls: int
    cpu: dict[str, float]


def one_round(settings: Settings, entities: list[str], pids: dict[str, int]) -> Round:
    """The baseline read, then the backfill (CPU of each process measured around it)."""
    read, read_s = asyncio.run(read_only(settings, entities))
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    produced, backfill_s, calls = asyncio.run(full_backfill(settings, entities))
    cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return Round(read, read_s, produced, backfill_s, calls, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument(
        "--rounds", type=int, default=1, help="baseline + backfill rounds; best and median shown"
    )
    args = parser.parse_args()
    entities = list(Settings().bridge.entities)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as workdir:
        broker = start_embedded_tansu()
        try:
            with seeded_emulator(args.persons, Path(workdir)) as emulator:
                settings = Settings(
                    salesforce=SalesforceSettings(
                        credentials_file=emulator.credentials, auth_flow="jwt"
                    ),
                    kafka=KafkaSettings(
                        bootstrap=broker.url, topic_prefix=f"bench{uuid.uuid4().hex[:8]}."
                    ),
                )
                pids = {"lawful": os.getpid(), "emulator": emulator.pid, "tansu": broker.pid or 0}
                rounds = [one_round(settings, entities, pids) for _ in range(args.rounds)]
        finally:
            broker.stop()
    report(args.persons, len(entities), rounds)


def report(persons: int, entities: int, rounds: list[Round]) -> None:
    """Best round (and medians when there are several: this machine may be shared)."""
    read_s = min(r.read_s for r in rounds)
    best = min(rounds, key=lambda r: r.backfill_s)
    several = len(rounds) > 1

    def median_of(seconds: list[float]) -> str:
        return f"  (median {persons / statistics.median(seconds):,.0f}/s)" if several else ""

    label = f", best of {len(rounds)} rounds" if several else ""
    print(f"entities: {entities}, records: {best.read:,} for {persons:,} persons{label}")
    print(
        f"baseline: SOQL pages only (no shaping/produce)  {read_s:7.2f} s  "
        f"{persons / read_s:8,.0f} persons/s  {best.read / read_s:8,.0f} records/s"
        + median_of([r.read_s for r in rounds])
    )
    print(
        f"lawful backfill -> Tansu (target >= 2,000/s)    {best.backfill_s:7.2f} s  "
        f"{persons / best.backfill_s:8,.0f} persons/s  "
        f"{best.produced / best.backfill_s:8,.0f} records/s  ({best.calls} API calls, "
        f"{best.backfill_s / read_s:.2f}x the baseline time)"
        + median_of([r.backfill_s for r in rounds])
    )
    busiest = max(best.cpu.values())
    print(
        "CPU seconds during the backfill: "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in best.cpu.items())
        + f"; on 2 idle cores the busiest process bounds it at ~{persons / busiest:,.0f} persons/s"
        + f" (load average now {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
