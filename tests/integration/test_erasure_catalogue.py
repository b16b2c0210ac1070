"""`lawful erase run` plans with the purpose catalogue the workers share (Tansu + Redis + the
emulator): a UK contract-based purpose keeps the contract data of a customer whose contract is in
force; a DE telephone-advertising consent is kept as proof for 5 years after the grant and each
call (UWG §7a, gdpr-rules §4.4/R19). Without the catalogue both would be erased."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from prometheus_client import CollectorRegistry
from simple_salesforce.api import Salesforce

from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from schemas.tombstone import Tombstone
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, read_values
from tests.integration.erasure_people import BuiltPerson, build_person
from tests.integration.test_erasure_pipeline import redis_dump, settings_for
from workers.cli import main
from workers.erasure import cli_actions
from workers.erasure.store import ErasureRequest, RequestStore
from workers.pipeline.purposes import PurposeCatalogue
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


@pytest.fixture
async def settings(
    *,
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    monkeypatch.setenv("LAWFUL_REDIS__URL", redis_url)  # for `lawful tombstones verify`
    monkeypatch.setenv("LAWFUL_REDIS__KEY_PREFIX", redis_prefix)
    return settings_for(
        emulator=emulator,
        bootstrap=kafka_bootstrap,
        prefix=topic_prefix,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path,
    )


def create(sf: Salesforce, sobject: str, body: dict[str, Any]) -> str:
    result: Any = sf.restful(f"sobjects/{sobject}", method="POST", json=body)
    assert result["success"], result
    return str(result["id"])


def live(emulator: EmulatorHandle, sobject: str, record_id: str) -> bool:
    record = emulator.org.store.tables.get(sobject, {}).get(record_id)
    return record is not None and not record.get("IsDeleted")


async def erase(settings: Settings, person: BuiltPerson) -> tuple[ErasureRequest, Tombstone]:
    """Run the service, request the erasure through Kafka, wait for its tombstone."""
    service = asyncio.create_task(cli_actions.run(settings))
    try:
        request_id = await cli_actions.request(settings, person.individual_id, None, "test")
        tombstones = await read_values(
            settings.kafka.bootstrap,
            f"{settings.kafka.topic_prefix}lawful.tombstones.v1",
            Tombstone,
            done=lambda v: any(t.request_id == request_id for t in v),
            within=60,
        )
    finally:
        service.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await service
    (tomb,) = [t for t in tombstones if t.request_id == request_id]
    client = redis.asyncio.Redis.from_url(settings.redis.url)
    try:
        done = await RequestStore(client, settings.redis.key_prefix).get(request_id)
    finally:
        await client.aclose()
    assert done is not None
    assert done.state == "done", done.reason
    return done, tomb


async def nothing_personal_kept(
    emulator: EmulatorHandle, settings: Settings, person: BuiltPerson, tomb: Tombstone
) -> None:
    """No personal value in the org, the tombstone, the JSONL log or Redis; the chain verifies."""
    org = str({k: list(v.values()) for k, v in emulator.org.store.tables.items()})
    jsonl = (settings.data_dir / "tombstones.jsonl").read_text()
    stored = await redis_dump(settings.redis.url, settings.redis.key_prefix)
    for haystack in (org, tomb.model_dump_json(), jsonl, stored):
        assert not [v for v in person.personal_values if v.lower() in haystack.lower()]
    assert await asyncio.to_thread(main, ["tombstones", "verify"]) == 0
    assert (
        await asyncio.to_thread(
            main, ["tombstones", "verify", "--file", str(settings.data_dir / "tombstones.jsonl")]
        )
        == 0
    )


async def test_uk_contract_in_force_keeps_contract_data_from_the_shared_catalogue(
    emulator: EmulatorHandle, sf: Salesforce, settings: Settings
) -> None:
    purpose = create(
        sf,
        "DataUsePurpose",
        {
            "Name": f"Contract fulfilment {uuid.uuid4().hex[:6]}",
            "Lawful_Basis__c": "CONTRACT",
            "Lawful_Category__c": "NON_MARKETING",
            "Lawful_Data_Categories__c": "CONTRACT_DATA",
        },
    )
    # a pipeline worker started earlier and cached the catalogue in Redis (its start-up SOQL)
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    client = redis.asyncio.Redis.from_url(settings.redis.url)
    try:
        worker_catalogue = PurposeCatalogue(
            client, settings.redis.key_prefix, RulesConfig(), purpose_from_fields
        )
        assert await worker_catalogue.load_from_salesforce(rest) >= 1
    finally:
        rest.close()
        await client.aclose()
    # gone from the org since: only the shared cache still knows the purpose
    sf.restful(f"sobjects/DataUsePurpose/{purpose}", method="DELETE")
    person = build_person(sf, jurisdiction="UK", contract_in_force=True)
    done, tomb = await erase(settings, person)
    kept = {c.category: c for c in tomb.categories if c.decision == "RETAINED"}
    assert kept["CONTRACT_DATA"].ground == f"Still necessary for contract {person.deal}"
    assert kept["CONTRACT_DATA"].retain_until is None  # the contract has no end yet
    assert done.plan is not None
    assert {(r.sobject, r.record_id) for r in done.plan.retained} == {
        ("OpportunityContactRole", i) for i in person.ids["OpportunityContactRole"]
    }
    roles = [o for o in tomb.objects if o.sobject == "OpportunityContactRole"]
    assert [o.retained_ids for o in roles] == [tuple(person.ids["OpportunityContactRole"])]
    assert all(
        live(emulator, "OpportunityContactRole", i) for i in person.ids["OpportunityContactRole"]
    )
    erased = {c.category for c in tomb.categories if c.decision == "ERASED"}
    assert {"CONTACT_DATA", "MARKETING_CONSENTS", "INTERACTION_HISTORY"} <= erased
    for sobject in ("Contact", "Lead", "Case", "Task", "ContactPointTypeConsent"):
        assert not any(live(emulator, sobject, i) for i in person.ids[sobject]), sobject
    await nothing_personal_kept(emulator, settings, person, tomb)


async def test_de_phone_consent_proof_is_retained_with_its_ground_and_end(
    emulator: EmulatorHandle, sf: Salesforce, settings: Settings
) -> None:
    purpose = create(
        sf,
        "DataUsePurpose",
        {
            "Name": f"Car marketing {uuid.uuid4().hex[:6]}",
            "Lawful_Basis__c": "CONSENT",
            "Lawful_Category__c": "MARKETING",
            "Lawful_Product_Family__c": "CAR",
        },
    )
    person = build_person(sf, jurisdiction="DE")
    consents = {
        channel: create(
            sf,
            "ContactPointTypeConsent",
            {
                "Name": f"{channel} consent",
                "PartyId": person.individual_id,
                "DataUsePurposeId": purpose,
                "ContactPointType": kind,
                "Lawful_Channel__c": channel,
                "PrivacyConsentStatus": "OptIn",
                "CaptureDate": "2025-03-01T10:00:00Z",
                "CaptureSource": "https://example.org/form",
                "Lawful_Notice_Version__c": "v1",
                "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
            },
        )
        for channel, kind in (("PHONE_LIVE", "Phone"), ("EMAIL", "Email"))
    }
    call = create(  # a use of the phone consent: the 5 years run from it (UWG §7a)
        sf,
        "Lawful_Engagement_Event__c",
        {
            "Individual__c": person.individual_id,
            "Type__c": "CALL_ATTEMPT",
            "Occurred_At__c": "2026-02-10T10:00:00Z",
            "Purpose__c": purpose,
        },
    )
    done, tomb = await erase(settings, person)  # the Redis cache is empty: SOQL fallback
    (proof,) = [c for c in tomb.categories if c.category == "PHONE_CONSENT_PROOF"]
    assert proof.decision == "RETAINED"
    assert proof.ground == "Art. 17(3)(b) legal obligation"
    assert proof.legal_ref == "DE UWG §7a"
    assert proof.retain_until is not None
    assert proof.retain_until.astimezone(UTC) == datetime(2031, 2, 9, 23, tzinfo=UTC)
    assert done.plan is not None
    assert {(r.sobject, r.record_id, r.category) for r in done.plan.retained} == {
        ("ContactPointTypeConsent", consents["PHONE_LIVE"], "PHONE_CONSENT_PROOF")
    }
    (consent_outcome,) = [o for o in tomb.objects if o.sobject == "ContactPointTypeConsent"]
    assert consent_outcome.retained_ids == (consents["PHONE_LIVE"],)
    kept = emulator.org.store.tables["ContactPointTypeConsent"][consents["PHONE_LIVE"]]
    assert not kept.get("IsDeleted")
    assert kept["CaptureSource"] == "https://example.org/form"  # the proof, unmasked
    assert kept["PrivacyConsentStatus"] == "OptIn"
    assert not live(emulator, "ContactPointTypeConsent", consents["EMAIL"])
    assert not live(emulator, "Lawful_Engagement_Event__c", call)
    for sobject in ("Contact", "Lead", "ContactPointPhone", "Task", "ContactPointTypeConsent"):
        assert not any(live(emulator, sobject, i) for i in person.ids[sobject]), sobject
    assert "MARKETING_CONSENTS" in {c.category for c in tomb.categories if c.decision == "ERASED"}
    client = redis.asyncio.Redis.from_url(settings.redis.url)
    try:  # the fallback filled the shared cache for the other workers
        assert await client.get(f"{settings.redis.key_prefix}catalogue:version") is not None
    finally:
        await client.aclose()
    await nothing_personal_kept(emulator, settings, person, tomb)
