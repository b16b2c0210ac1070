"""The whole loop on the emulator: a consent recorded in the org -> `lawful bridge` -> `lawful
worker` -> lawful.permissions.v1 -> `lawful writeback` -> the Individual's status fields. The
write-back's own CDC event goes round once more and stops there: no further snapshot, no
further write (nothing loops)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.messages import PermissionsSnapshot
from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import create_lawful_topics, read_values
from tests.integration.lawful_process import LawfulProcess, lawful_env, read_topic
from tests.integration.test_pipeline_support import Catalogue
from tests.integration.test_pipeline_worker import worker_test_env
from tests.unit.test_pipeline_support import consent_fields
from workers.embedded.redis import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def record_person(emulator: EmulatorHandle, purpose_id: str, tag: str) -> str:
    sf = emulator.salesforce()
    try:
        person = str(
            sobject(sf, "Individual").create(
                {
                    "LastName": f"Loop{tag}",
                    "Lawful_Jurisdiction__c": "UK",
                    "BirthDate": "1980-05-17",
                }
            )["id"]
        )
        fields = consent_fields(purpose_id, party=person, captured=datetime.now(UTC))
        sobject(sf, "ContactPointTypeConsent").create(fields)
    finally:
        sf.session.close()
    return person


def status_of(emulator: EmulatorHandle, person: str) -> dict[str, Any]:
    sf = emulator.salesforce()
    try:
        record: dict[str, Any] = sobject(sf, "Individual").get(person)
    finally:
        sf.session.close()
    return record


async def written_status(emulator: EmulatorHandle, person: str) -> dict[str, Any]:
    """The Individual once the write-back has set its status (polls for up to 90 s)."""
    async with asyncio.timeout(90):
        while True:
            record = await asyncio.to_thread(status_of, emulator, person)
            if record.get("Lawful_Last_Evaluated__c"):
                return record
            await asyncio.sleep(0.5)


def calls_made(process: LawfulProcess) -> float:
    found = re.search(r"^lawful_writeback_calls_total (\S+)$", process.metrics(), re.MULTILINE)
    return float(found[1]) if found else 0.0


async def test_written_status_does_not_trigger_another_write(
    *,
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix, partitions=4)
    catalogue = await asyncio.to_thread(Catalogue.create, emulator)
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_WRITEBACK__FLUSH_INTERVAL="1",
        **worker_test_env(tmp_path),
    )
    processes = [
        LawfulProcess(["bridge"], env, tmp_path / "bridge.log"),
        LawfulProcess(
            ["worker", "--tansu-compat"],
            {**env, "LAWFUL_WEB__PORT": str(free_port())},
            tmp_path / "worker.log",
        ),
        LawfulProcess(
            ["writeback"], {**env, "LAWFUL_WEB__PORT": str(free_port())}, tmp_path / "wb.log"
        ),
    ]
    writeback = processes[2]
    try:
        for process in processes:
            process.start()
        for process in processes:
            await asyncio.to_thread(process.wait_ready, 60)
        person = await asyncio.to_thread(
            record_person, emulator, catalogue.purpose_id, uuid.uuid4().hex[:8]
        )
        written = await written_status(emulator, person)
        assert '"ok":true' in written["Lawful_Basis_Status__c"]  # the consent permits e-mail

        # The write-back's own change reaches Kafka through the bridge ...
        await read_topic(
            kafka_bootstrap,
            f"{topic_prefix}lawful.sf-cdc.v1",
            done=lambda got: any(
                key == person
                and value["payload"]["ChangeEventHeader"]["changeOrigin"].endswith(
                    "client=lawful-writeback"
                )
                for key, value in got
            ),
        )
        calls = await asyncio.to_thread(calls_made, writeback)
        snapshots = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.permissions.v1",
            PermissionsSnapshot,
            done=lambda got: any(s.individual_id == person for s in got),
        )
        mine = [s for s in snapshots if s.individual_id == person]
        # ... and stops: give the worker and the write-back several flush intervals.
        await asyncio.sleep(6)
        again = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.permissions.v1",
            PermissionsSnapshot,
            done=lambda got: len(got) >= len(snapshots),
        )
        assert [s for s in again if s.individual_id == person] == mine
        assert await asyncio.to_thread(calls_made, writeback) == calls
        final = await asyncio.to_thread(status_of, emulator, person)
        assert final["LastModifiedDate"] == written["LastModifiedDate"]
    finally:
        for process in processes:
            process.kill()
