"""`lawful backfill` as a real process: one SNAPSHOT per record of the org, CDC-shaped."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.emulator import EmulatorHandle, rest, sobject
from tests.fixtures.kafka import create_lawful_topics
from tests.integration.lawful_process import lawful_env, read_topic

pytestmark = pytest.mark.integration


def seed(emulator: EmulatorHandle, tag: str) -> tuple[list[str], list[str]]:
    sf = emulator.salesforce()
    try:
        individuals = [
            str(sobject(sf, "Individual").create({"LastName": f"Ind{tag}{i}"})["id"])
            for i in range(3)
        ]
        contacts = [
            str(
                sobject(sf, "Contact").create(
                    {
                        "FirstName": "Maria",
                        "LastName": f"Con{tag}{i}",
                        "IndividualId": individuals[i],
                        "MailingCity": "Berlin",
                    }
                )["id"]
            )
            for i in range(3)
        ]
    finally:
        sf.session.close()
    return individuals, contacts


def create_individuals(emulator: EmulatorHandle, tag: str, count: int) -> list[str]:
    sf = emulator.salesforce()
    ids: list[str] = []
    try:
        for start in range(0, count, 200):
            body = {
                "allOrNone": True,
                "records": [
                    {"attributes": {"type": "Individual"}, "LastName": f"Bulk{tag}{i}"}
                    for i in range(start, min(count, start + 200))
                ],
            }
            ids += [str(r["id"]) for r in rest(sf, "composite/sobjects", "POST", json=body)]
    finally:
        sf.session.close()
    return ids


def ids_since(emulator: EmulatorHandle, entity: str, since: str) -> set[str]:
    sf = emulator.salesforce()
    try:
        result: dict[str, Any] = sf.query_all(
            f"SELECT Id FROM {entity} WHERE LastModifiedDate >= {since}"  # noqa: S608
        )
    finally:
        sf.session.close()
    return {str(record["Id"]) for record in result["records"]}


async def test_backfill_produces_one_snapshot_per_record(
    *,
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    since = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tag = uuid.uuid4().hex[:8]
    individuals, contacts = await asyncio.to_thread(seed, emulator, tag)
    bulk = await asyncio.to_thread(create_individuals, emulator, tag, 230)  # > 1 page of 200
    expected = ids_since(emulator, "Individual", since) | ids_since(emulator, "Contact", since)
    assert set(individuals) | set(contacts) | set(bulk) <= expected
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_BRIDGE__BACKFILL_PAGE_SIZE="200",
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "workers",
            "backfill",
            "--entities",
            "Individual",
            "Contact",
            "--since",
            since,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Individual" in done.stderr
    assert "[####" in done.stderr  # the progress bar
    assert f"backfilled {len(expected)} records" in done.stdout

    records = await read_topic(
        kafka_bootstrap,
        f"{topic_prefix}lawful.sf-cdc.v1",
        done=lambda got: len(got) >= len(expected),
    )
    assert sorted(key for key, _ in records) == sorted(expected)  # one per record, no more
    by_id = dict(records)
    contact = by_id[contacts[0]]
    assert (contact["origin"], contact["change_type"], contact["entity"]) == (
        "backfill",
        "SNAPSHOT",
        "Contact",
    )
    payload = contact["payload"]
    header = payload["ChangeEventHeader"]
    assert header["changeType"] == "CREATE"
    assert header["recordIds"] == [contacts[0]]
    assert isinstance(header["commitTimestamp"], int)
    assert payload["Name"] == {"FirstName": "Maria", "LastName": f"Con{tag}0"}
    assert payload["MailingAddress"] == {"City": "Berlin"}
    assert payload["IndividualId"] == individuals[0]
    assert "attributes" not in payload
    assert "Id" not in payload
