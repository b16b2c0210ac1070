"""`lawful writeback` as a real process (emulator + Tansu), watched by a real `lawful bridge`.

Three snapshots per person are coalesced into one write per person, 200 persons per call; the
written status is the latest; the write-back's own CDC events are recognised by the loop guard;
replayed snapshots with an unchanged status cost no API call.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry

from handlers.loop_guard import is_own_writeback
from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import PermissionCell, PermissionsSnapshot, SalesforceEvent
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics
from tests.integration.lawful_process import LawfulProcess, lawful_env, read_topic
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import SalesforceSettings

pytestmark = pytest.mark.integration

PERSONS = 450
T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)


def snapshot(individual_id: str, version: int) -> PermissionsSnapshot:
    permitted = version % 2 == 1
    cell = PermissionCell(
        purpose_id="newsletter",
        channel=Channel.EMAIL,
        permitted=permitted,
        reason=Reason.CONSENT_ACTIVE if permitted else Reason.CHANNEL_OPT_OUT,
        rule="R6",
        row=None,
        effective_basis=Basis.CONSENT if permitted else None,
        valid_until=T0 + timedelta(days=30 * version),
    )
    return PermissionsSnapshot(
        individual_id=individual_id,
        evaluated_at=T0 + timedelta(minutes=version),
        purposes=(),
        cells=(cell,),
        next_horizon=T0 + timedelta(days=version),
    )


async def produce(bootstrap: str, topic: str, snapshots: list[PermissionsSnapshot]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for item in snapshots:
            await producer.send(
                topic, item.model_dump_json().encode(), key=item.individual_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0


async def wait_metric(process: LawfulProcess, name: str, at_least: float) -> str:
    async with asyncio.timeout(30):
        while True:
            text = await asyncio.to_thread(process.metrics)
            if metric(text, name) >= at_least:
                return text
            await asyncio.sleep(0.2)


async def test_writeback_coalesces_stays_within_budget_and_does_not_loop(
    *,
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    tag = uuid.uuid4().hex[:8]
    rest = SimpleSalesforceRest.from_settings(
        SalesforceSettings(credentials_file=emulator.credentials_path, auth_flow="jwt"),
        registry=CollectorRegistry(),
    )
    try:
        created = await rest.create(
            "Individual",
            [{"LastName": f"Wb{tag}{i}", "Lawful_Brand__c": tag} for i in range(PERSONS)],
        )
        ids = [str(result.id) for result in created]
        env = lawful_env(
            emulator,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=topic_prefix,
            LAWFUL_BRIDGE__ENTITIES='["Individual"]',
            LAWFUL_WRITEBACK__FLUSH_INTERVAL="1",
        )
        bridge = LawfulProcess(["bridge"], env, tmp_path / "bridge.log").start()
        writeback_env = {**env, "LAWFUL_WEB__PORT": str(int(env["LAWFUL_WEB__PORT"]) + 1)}
        writeback = LawfulProcess(["writeback"], writeback_env, tmp_path / "writeback.log")
        try:
            bridge.wait_ready()
            permissions = f"{topic_prefix}lawful.permissions.v1"
            await produce(
                kafka_bootstrap,
                permissions,
                [snapshot(i, version) for version in (1, 2, 3) for i in ids],
            )
            writeback.start()
            writeback.wait_ready()
            text = await wait_metric(
                writeback, 'lawful_writeback_records_total{outcome="written"}', PERSONS
            )
            calls = metric(text, "lawful_writeback_calls_total")
            assert calls == math.ceil(PERSONS / 200)  # coalesced: one write per person
            updates = metric(text, 'lawful_salesforce_requests_total{op="update",status="200"}')
            assert updates == calls

            fields = "Id, Lawful_Basis_Status__c, Lawful_Valid_Until__c, Lawful_Last_Evaluated__c"
            soql = f"SELECT {fields} FROM Individual WHERE Lawful_Brand__c = '{tag}'"  # noqa: S608
            rows = await rest.query_all(soql)
            assert len(rows) == PERSONS
            for row in rows:  # the latest snapshot (version 3) won
                status = json.loads(row["Lawful_Basis_Status__c"])
                assert status["cells"] == [
                    {
                        "p": "newsletter",
                        "c": "EMAIL",
                        "ok": True,
                        "r": "CONSENT_ACTIVE",
                        "b": "CONSENT",
                        "u": "2027-02-27T12:00:00.000Z",  # T0 + 90 days,
                    }
                ]
                assert row["Lawful_Last_Evaluated__c"].startswith("2026-11-29T12:03:00")
                assert row["Lawful_Valid_Until__c"].startswith("2026-12-02T12:00:00")

            # The bridge sees each write once, marked as ours: the pipeline skips it (no loop).
            own = set(ids)
            records = await read_topic(
                kafka_bootstrap,
                f"{topic_prefix}lawful.sf-cdc.v1",
                done=lambda got: (
                    len({k for k, v in got if k in own and v["change_type"] == "UPDATE"}) == PERSONS
                ),
            )
            updates_seen = [
                SalesforceEvent.model_validate(value)
                for key, value in records
                if key in own and value["change_type"] == "UPDATE"
            ]
            assert len(updates_seen) == PERSONS
            for event in updates_seen:
                origin = event.payload["ChangeEventHeader"]["changeOrigin"]
                assert origin.endswith("client=lawful-writeback")
                assert is_own_writeback(event)

            # Replayed snapshots with the same status: consumed, no further call.
            await produce(kafka_bootstrap, permissions, [snapshot(i, 3) for i in ids])
            text = await wait_metric(
                writeback, 'lawful_writeback_records_total{outcome="unchanged"}', PERSONS
            )
            assert metric(text, "lawful_writeback_calls_total") == calls
            assert writeback.terminate() == 0
        finally:
            writeback.kill()
            bridge.kill()
    finally:
        rest.close()
