"""After an erasure, a Lead re-created with the same email through the org's REST API reaches
`lawful erase run` through the real `lawful bridge` (CometD -> lawful.sf-cdc.v1) and is flagged
within 10 s: a SUPPRESSION_MATCH alert, and the engine's SUPPRESSION event for its Individual."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from schemas.codes import AlertType
from schemas.messages import AlertMessage, PersonMessage
from schemas.tombstone import Tombstone
from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import create_lawful_topics, read_values
from tests.integration.erasure_people import build_person
from tests.integration.lawful_process import LawfulProcess, lawful_env
from workers.embedded.redis import free_port
from workers.erasure import cli_actions
from workers.settings import KafkaSettings, Settings

pytestmark = pytest.mark.integration
TOMBSTONE_KEY = "test-tombstone-key-0123456789abcdef"


def recreate(emulator: EmulatorHandle, email: str, tag: str) -> tuple[str, str, str, float]:
    """(Individual, Lead linked to it, Lead with no Individual, monotonic time of the creates)
    as another system would create them: plain REST calls through simple-salesforce."""
    sf = emulator.salesforce()
    try:
        started = time.monotonic()
        individual = str(sobject(sf, "Individual").create({"LastName": f"Again{tag}"})["id"])
        linked = sobject(sf, "Lead").create(
            {
                "LastName": f"Again{tag}",
                "Company": "Re-import Ltd",
                "Email": email.upper(),
                "IndividualId": individual,
            }
        )
        bare = sobject(sf, "Lead").create(
            {"LastName": f"Bare{tag}", "Company": "Web form", "Email": email}
        )
    finally:
        sf.session.close()
    return individual, str(linked["id"]), str(bare["id"]), started


async def test_recreated_lead_is_flagged_through_the_bridge(
    *,
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    common = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_TOMBSTONE_KEY=TOMBSTONE_KEY,
        LAWFUL_DATA_DIR=str(tmp_path),
        LAWFUL_BRIDGE__ENTITIES='["Lead", "Contact", "Individual"]',
    )
    bridge = LawfulProcess(["bridge"], common, tmp_path / "bridge.log")
    eraser = LawfulProcess(
        ["erase", "run"],
        {**common, "LAWFUL_WEB__PORT": str(free_port())},
        tmp_path / "erase.log",
    )
    sf = emulator.salesforce()
    try:
        person = build_person(sf)
    finally:
        sf.session.close()
    email = person.personal_values[0]
    assert "@" in email
    try:
        bridge.start()
        eraser.start()
        bridge.wait_ready(60)
        eraser.wait_ready(60)
        settings = Settings(
            kafka=KafkaSettings(bootstrap=kafka_bootstrap, topic_prefix=topic_prefix)
        )
        request_id = await cli_actions.request(settings, person.individual_id, None, "test")
        await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.tombstones.v1",
            Tombstone,
            done=lambda v: any(t.request_id == request_id for t in v),
            within=60,
        )
        individual, linked, bare, created = await asyncio.to_thread(
            recreate, emulator, email, request_id[-6:]
        )

        def flagged(alerts: list[AlertMessage]) -> bool:
            matched = {a.data.cause for a in alerts if a.type is AlertType.SUPPRESSION_MATCH}
            return all(any(lead in (c or "") for c in matched) for lead in (linked, bare))

        alerts = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.alerts.v1",
            AlertMessage,
            done=flagged,
            within=30,
        )
        elapsed = time.monotonic() - created
        assert elapsed < 10, f"flagged {elapsed:.1f} s after the create"
        matches = {a.data.alert_key: a for a in alerts if a.type is AlertType.SUPPRESSION_MATCH}
        assert matches[f"suppression-match:{linked}"].data.individual_id == individual
        assert matches[f"suppression-match:{bare}"].data.individual_id == bare  # no Individual
        events = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.person-events.v1",
            PersonMessage,
            done=lambda v: any(m.event and m.event.kind == "SUPPRESSION" for m in v),
            within=10,
        )
        (suppressed,) = [m for m in events if m.event and m.event.kind == "SUPPRESSION"]
        assert suppressed.individual_id == individual
        assert suppressed.source_record_id == linked
        logs = bridge.log() + eraser.log()
        assert not [v for v in person.personal_values if v.lower() in logs.lower()]
    finally:
        eraser.kill()
        bridge.kill()
