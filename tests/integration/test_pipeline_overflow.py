"""An overflow event (or an expired replay id, which the bridge turns into one per entity): the
worker reconciles the whole object from SOQL and converges on the org's true state, deletions
included (queryAll returns them with IsDeleted = true)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.codes import Reason
from schemas.messages import PermissionsSnapshot, SalesforceEvent
from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import produce, read_values
from tests.integration.test_pipeline_worker import World, world  # noqa: F401 - the fixture
from tests.unit.test_pipeline_support import cdc

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def overflow(entity: str) -> SalesforceEvent:
    """The bridge's message for a GAP_OVERFLOW event: no record id, keyed by the entity."""
    return cdc(entity, "GAP_OVERFLOW", "", at=datetime.now(UTC)).model_copy(
        update={"record_id": None}
    )


def email_reason(snapshot: PermissionsSnapshot, purpose_id: str) -> Reason:
    (cell,) = [c for c in snapshot.cells if c.purpose_id == purpose_id and c.channel == "EMAIL"]
    return Reason(cell.reason)


def latest_reason(got: list[PermissionsSnapshot], person: str, purpose: str) -> Reason | None:
    mine = [s for s in got if s.individual_id == person]
    return email_reason(mine[-1], purpose) if mine else None


async def test_overflow_reconciles_changes_and_deletions_the_stream_lost(
    world: World,  # noqa: F811 - the imported fixture
    emulator: EmulatorHandle,
) -> None:
    purpose = world.catalogue.purpose_id
    sf = emulator.salesforce()
    try:
        person = sobject(sf, "Individual").create(
            {"LastName": "Overflow", "Lawful_Jurisdiction__c": "UK", "BirthDate": "1980-05-17"}
        )["id"]
        consent = sobject(sf, "ContactPointTypeConsent").create(
            {
                "Name": "overflow consent",
                "PartyId": person,
                "DataUsePurposeId": purpose,
                "ContactPointType": "Email",
                "Lawful_Channel__c": "EMAIL",
                "PrivacyConsentStatus": "OptIn",
                "CaptureDate": datetime.now(UTC).isoformat(),
                "CaptureSource": "https://example.org/form",
                "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
                "Lawful_Notice_Version__c": "v1",
            }
        )["id"]
    finally:
        sf.session.close()
    topic = world.topic("lawful.sf-cdc.v1")
    permissions = world.topic("lawful.permissions.v1")

    # 1. Nothing reached the worker but the overflow events: it must read both objects.
    await produce(
        world.bootstrap, topic, [overflow("Individual"), overflow("ContactPointTypeConsent")]
    )
    await read_values(
        world.bootstrap,
        permissions,
        PermissionsSnapshot,
        done=lambda got: any(
            s.individual_id == person and email_reason(s, purpose) is Reason.CONSENT_ACTIVE
            for s in got
        ),
        within=90,
    )

    # 2. The person opts out and another consent is deleted while the stream is lost: the next
    #    overflow must bring the opt-out and replay the deletion.
    sf = emulator.salesforce()
    try:
        sobject(sf, "ContactPointTypeConsent").update(consent, {"PrivacyConsentStatus": "OptOut"})
        doomed = sobject(sf, "ContactPointTypeConsent").create(
            {
                "Name": "deleted consent",
                "PartyId": person,
                "DataUsePurposeId": purpose,
                "ContactPointType": "Phone",
                "Lawful_Channel__c": "SMS",
                "PrivacyConsentStatus": "OptIn",
                "CaptureDate": datetime.now(UTC).isoformat(),
                "CaptureSource": "https://example.org/form",
            }
        )["id"]
        sobject(sf, "ContactPointTypeConsent").delete(doomed)
    finally:
        sf.session.close()
    await produce(world.bootstrap, topic, [overflow("ContactPointTypeConsent")])
    snapshots = await read_values(
        world.bootstrap,
        permissions,
        PermissionsSnapshot,
        done=lambda got: latest_reason(got, person, purpose) is Reason.CONSENT_WITHDRAWN,
        within=90,
    )
    latest = [s for s in snapshots if s.individual_id == person][-1]
    assert not any(c.permitted for c in latest.cells if c.purpose_id == purpose)
    fed_back = await read_values(
        world.bootstrap,
        topic,
        dict,
        done=lambda got: any(
            v.get("record_id") == doomed and v.get("change_type") == "DELETE" for v in got
        ),
        within=30,
    )
    replayed = [v for v in fed_back if v.get("record_id") == doomed]
    assert {v["origin"] for v in replayed} == {"resync"}
