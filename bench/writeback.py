"""Write-back cost: Salesforce API calls per 1,000 changed persons (target <= 6).

Usage: `uv run --frozen python -m bench.writeback [--persons 1000] [--snapshots 3]`

The emulator and Tansu run as their own processes. Each person gets `--snapshots` permission
snapshots on lawful.permissions.v1 (several changes of one person within the flush interval);
`lawful writeback` (in process) coalesces and writes them. Printed beside a baseline measured in
the same run: the naive write-back, one sObject PATCH per snapshot, on the first 200 snapshots
and scaled to the same volume.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry
from simple_salesforce.api import Salesforce

from bench.backfill import seeded_emulator
from handlers.loop_guard import WRITEBACK_CLIENT
from schemas.codes import Reason
from schemas.enums import Channel
from schemas.messages import PermissionCell, PermissionsSnapshot
from workers.bridge.kafka import bootstrap_servers, build_consumer
from workers.embedded.tansu import start_embedded_tansu
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import KafkaSettings, SalesforceSettings
from workers.writeback.service import Writeback
from workers.writeback.status import status_fields
from workers.writeback.writer import StatusWriter, WritebackMetrics

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)


def snapshot(individual_id: str, version: int) -> PermissionsSnapshot:
    cell = PermissionCell(
        purpose_id="newsletter",
        channel=Channel.EMAIL,
        permitted=version % 2 == 1,
        reason=Reason.CONSENT_ACTIVE if version % 2 else Reason.CHANNEL_OPT_OUT,
        rule="R6",
        row=None,
        effective_basis=None,
        valid_until=T0 + timedelta(days=version),
    )
    return PermissionsSnapshot(
        individual_id=individual_id,
        evaluated_at=T0 + timedelta(minutes=version),
        purposes=(),
        cells=(cell,),
    )


def _patch(record_id: str, fields: dict[str, Any]) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.restful(f"sobjects/Individual/{record_id}", method="PATCH", json=fields)


def calls(registry: CollectorRegistry, ops: tuple[str, ...]) -> int:
    return sum(
        int(sample.value)
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "lawful_salesforce_requests_total" and sample.labels["op"] in ops
    )


async def measure(credentials: Path, kafka: KafkaSettings, persons: int, versions: int) -> None:
    setup = SimpleSalesforceRest.from_settings(
        SalesforceSettings(credentials_file=credentials, auth_flow="jwt"),
        registry=CollectorRegistry(),
    )
    created = await setup.create("Individual", [{"LastName": f"B{i}"} for i in range(persons)])
    ids = [str(result.id) for result in created]
    snapshots = [snapshot(i, v) for v in range(1, versions + 1) for i in ids]

    # Baseline: one PATCH per snapshot (no coalescing, no collections), first 200 snapshots.
    sample = snapshots[:200]
    started = time.perf_counter()
    for item in sample:
        fields = status_fields(item)
        record_id = fields.pop("Id")
        await setup._call("update_one", _patch(str(record_id), fields))
    naive_s = (time.perf_counter() - started) * len(snapshots) / len(sample)
    naive_calls = len(snapshots)
    setup.close()

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(kafka.bootstrap))
    await producer.start()
    topic = f"{kafka.topic_prefix}lawful.permissions.v1"
    for item in snapshots:
        await producer.send(topic, item.model_dump_json().encode(), key=item.individual_id.encode())
    await producer.stop()

    registry = CollectorRegistry()
    salesforce = SalesforceSettings(
        credentials_file=credentials, auth_flow="jwt", call_options_client=WRITEBACK_CLIENT
    )
    rest = SimpleSalesforceRest.from_settings(salesforce, registry=registry)
    consumer = build_consumer(kafka, "lawful.permissions.v1", group_id=f"bench-{uuid.uuid4()}")
    metrics = WritebackMetrics(registry)
    writeback = Writeback(
        consumer,
        StatusWriter(rest, metrics, calls_per_minute=600),
        metrics,
        flush_interval=1.0,
        max_batch=10_000,
    )
    await consumer.start()
    started = time.perf_counter()
    task = asyncio.create_task(writeback.run())
    try:
        async with asyncio.timeout(120):
            written = metrics.records.labels("written")
            for _ in iter(lambda: written._value.get() >= persons, True):
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()
        rest.close()
    seconds = time.perf_counter() - started
    used = calls(registry, ("update", "login"))
    per_1000 = used * 1000 / persons
    print(f"{persons:,} persons, {len(snapshots):,} snapshots ({versions} per person)")
    print(
        f"baseline: one PATCH per snapshot     {naive_calls * 1000 / persons:8.0f} calls/1,000 "
        f"persons  (~{naive_s:.1f} s for all)"
    )
    print(
        f"lawful writeback (target <= 6)      {per_1000:8.1f} calls/1,000 persons  "
        f"({used} calls incl. login, {seconds:.1f} s incl. the {1.0:.0f} s flush interval)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--snapshots", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-writeback-") as workdir:
        broker = start_embedded_tansu()
        try:
            with seeded_emulator(0, Path(workdir)) as emulator:
                kafka = KafkaSettings(
                    bootstrap=broker.url, topic_prefix=f"b{uuid.uuid4().hex[:8]}."
                )
                asyncio.run(measure(emulator.credentials, kafka, args.persons, args.snapshots))
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
