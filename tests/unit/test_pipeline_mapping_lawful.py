"""salesforce/README.md mapping rows of lawful's own objects (objections, restrictions, erasure,
holds, DNC, engagement, notices, suppression) -> engine events / record facts."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.records import RecordUpdate
from schemas.enums import (
    Channel,
    DncRegister,
    Engagement,
    ObjectionStatus,
    SuppressionScope,
)
from schemas.events import (
    BaseEvent,
    CallAttempted,
    DncListed,
    DncRemoved,
    EngagementRecorded,
    ErasureExecuted,
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureIdentityRequested,
    ErasureRequested,
    InCallRefusal,
    LegalHoldReleased,
    LegalHoldSet,
    MarketingObjection,
    NoticeShown,
    ProcessingObjection,
    RestrictionLifted,
    RestrictionLiftNotified,
    RestrictionSet,
    SuppressionAdded,
)
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    days,
    iso,
)

pytestmark = pytest.mark.unit

CONSENT = "0ZY000000000001AAA"
RECORD = "a01000000000001AAA"


def events(update: RecordUpdate) -> list[BaseEvent]:
    return [m.event for m in update.messages if m.event is not None]


def only(update: RecordUpdate) -> BaseEvent:
    (event,) = events(update)
    return event


def lawful(
    entity: str, fields: dict[str, Any], replica: Replica | None = None, **kw: Any
) -> RecordUpdate:
    replica = replica or Replica()
    return replica.apply(cdc(entity, "CREATE", RECORD, {"Individual__c": PERSON, **fields}, **kw))


# --- lawful's objects ----------------------------------------------------------------------


def test_dm_objection() -> None:
    event = only(
        lawful("Lawful_Objection__c", {"Kind__c": "DIRECT_MARKETING", "Received_At__c": iso(T0)})
    )
    assert isinstance(event, MarketingObjection)
    assert event.purpose_id is None


def test_general_objection_lifecycle() -> None:
    replica = Replica()
    fields = {
        "Kind__c": "GENERAL",
        "Purpose__c": "fraud-li",
        "Status__c": "PENDING",
        "Received_At__c": iso(T0),
    }
    first = only(lawful("Lawful_Objection__c", fields, replica))
    assert isinstance(first, ProcessingObjection)
    assert (first.objection_id, first.status) == (RECORD, ObjectionStatus.PENDING)
    decided = T0 + days(10)
    update = replica.apply(
        cdc(
            "Lawful_Objection__c",
            "UPDATE",
            RECORD,
            {
                "Status__c": "REJECTED_COMPELLING_GROUNDS",
                "Reference__c": "CG-1",
                "Decided_At__c": iso(decided),
            },
            at=decided,
        )
    )
    second = only(update)
    assert isinstance(second, ProcessingObjection)
    assert second.status is ObjectionStatus.REJECTED_COMPELLING_GROUNDS
    assert second.reference == "CG-1"
    assert second.occurred_at == decided
    assert second.event_id != first.event_id


def test_restriction_transitions() -> None:
    replica = Replica()
    set_at = T0
    first = lawful(
        "Lawful_Restriction__c",
        {
            "Set_At__c": iso(set_at),
            "Scope__c": "PURPOSE",
            "Purpose__c": "pet-mkt",
            "Ground__c": "ACCURACY_CONTESTED",
        },
        replica,
    )
    event = only(first)
    assert isinstance(event, RestrictionSet)
    assert (event.restriction_id, event.purpose_id, event.ground) == (
        RECORD,
        "pet-mkt",
        "ACCURACY_CONTESTED",
    )
    notified = replica.apply(
        cdc(
            "Lawful_Restriction__c",
            "UPDATE",
            RECORD,
            {"Lift_Notified_At__c": iso(T0 + days(5))},
            at=T0 + days(5),
        )
    )
    assert isinstance(only(notified), RestrictionLiftNotified)
    lifted = replica.apply(
        cdc(
            "Lawful_Restriction__c",
            "UPDATE",
            RECORD,
            {"Lifted_At__c": iso(T0 + days(6))},
            at=T0 + days(6),
        )
    )
    assert isinstance(only(lifted), RestrictionLifted)


def test_person_wide_restriction_has_no_purpose() -> None:
    event = only(lawful("Lawful_Restriction__c", {"Set_At__c": iso(T0), "Scope__c": "PERSON"}))
    assert isinstance(event, RestrictionSet)
    assert event.purpose_id is None


def test_erasure_request_lifecycle() -> None:
    replica = Replica()
    first = lawful(
        "Lawful_Erasure_Request__c", {"Request_Id__c": "REQ-1", "Received_At__c": iso(T0)}, replica
    )
    requested = only(first)
    assert isinstance(requested, ErasureRequested)
    assert requested.request_id == "REQ-1"
    steps: list[tuple[dict[str, str], type[BaseEvent]]] = [
        ({"Verification_Requested_At__c": iso(T0 + days(1))}, ErasureIdentityRequested),
        ({"Verification_Received_At__c": iso(T0 + days(2))}, ErasureIdentityReceived),
        (
            {"Extension_Notified_At__c": iso(T0 + days(3)), "Extension_Reason__c": "complex"},
            ErasureExtensionNotice,
        ),
        (
            {
                "Executed_At__c": iso(T0 + days(40)),
                "Status__c": "COMPLETED",
                "Erased_Categories__c": "MARKETING_CONSENTS;PROSPECT_DATA",
                "Retained_Categories__c": "ACCOUNTING_RECORDS",
            },
            ErasureExecuted,
        ),
    ]
    for n, (fields, kind) in enumerate(steps, start=1):
        event = only(
            replica.apply(
                cdc("Lawful_Erasure_Request__c", "UPDATE", RECORD, fields, at=T0 + days(n))
            )
        )
        assert type(event) is kind
        assert getattr(event, "request_id") == "REQ-1"  # noqa: B009
    assert isinstance(event, ErasureExecuted)
    assert event.erased_categories == ("MARKETING_CONSENTS", "PROSPECT_DATA")
    assert event.retained_categories == ("ACCOUNTING_RECORDS",)


def test_legal_hold_set_and_released() -> None:
    replica = Replica()
    fields = {
        "Claim_Ref__c": "CLAIM-1",
        "Categories__c": "CONTRACT_DATA;ACCOUNTING_RECORDS",
        "Set_At__c": iso(T0),
    }
    held = only(lawful("Lawful_Legal_Hold__c", fields, replica))
    assert isinstance(held, LegalHoldSet)
    assert held.categories == ("CONTRACT_DATA", "ACCOUNTING_RECORDS")
    released = replica.apply(
        cdc(
            "Lawful_Legal_Hold__c",
            "UPDATE",
            RECORD,
            {"Released_At__c": iso(T0 + days(9))},
            at=T0 + days(9),
        )
    )
    assert isinstance(only(released), LegalHoldReleased)


def test_dnc_listing_and_removal() -> None:
    replica = Replica()
    fields = {
        "Register__c": "BLOCTEL",
        "Listed_At__c": iso(T0),
        "Effective_From__c": iso(T0 + days(30)),
    }
    listed = only(lawful("Lawful_DNC_Listing__c", fields, replica))
    assert isinstance(listed, DncListed)
    assert (listed.dnc_register, listed.effective_from) == (DncRegister.BLOCTEL, T0 + days(30))
    removed = replica.apply(
        cdc(
            "Lawful_DNC_Listing__c",
            "UPDATE",
            RECORD,
            {"Removed_At__c": iso(T0 + days(90))},
            at=T0 + days(90),
        )
    )
    assert isinstance(only(removed), DncRemoved)


@pytest.mark.parametrize("kind", [e.value for e in Engagement if e is not Engagement.PURCHASE])
def test_engagement_types(kind: str) -> None:
    fields = {
        "Type__c": kind,
        "Occurred_At__c": iso(T0),
        "Channel__c": "EMAIL",
        "Purpose__c": "pet-mkt",
    }
    event = only(lawful("Lawful_Engagement_Event__c", fields))
    assert isinstance(event, EngagementRecorded)
    assert (event.engagement.value, event.channel, event.purpose_id) == (
        kind,
        Channel.EMAIL,
        "pet-mkt",
    )


def test_calls_and_refusals() -> None:
    call = only(
        lawful("Lawful_Engagement_Event__c", {"Type__c": "CALL_ATTEMPT", "Occurred_At__c": iso(T0)})
    )
    assert isinstance(call, CallAttempted)
    refusal = only(
        lawful(
            "Lawful_Engagement_Event__c", {"Type__c": "IN_CALL_REFUSAL", "Occurred_At__c": iso(T0)}
        )
    )
    assert isinstance(refusal, InCallRefusal)


def test_purchase_is_an_event_and_a_record_fact() -> None:
    fields = {"Type__c": "PURCHASE", "Occurred_At__c": iso(T0), "Product_Family__c": "pet"}
    update = lawful("Lawful_Engagement_Event__c", fields)
    kinds = sorted(m.kind for m in update.messages)
    assert kinds == ["EVENT", "RECORD_FACT"]
    (event,) = events(update)
    assert isinstance(event, EngagementRecorded)
    assert event.engagement is Engagement.PURCHASE


def test_notice_art13_and_art14() -> None:
    fields = {
        "Purpose__c": "pet-mkt",
        "Notice_Version__c": "PN-3",
        "Kind__c": "ART14_SENT",
        "Shown_At__c": iso(T0),
    }
    event = only(lawful("Lawful_Notice__c", fields))
    assert isinstance(event, NoticeShown)
    assert (event.purpose_id, event.notice_version, event.art14) == ("pet-mkt", "PN-3", True)
    shown = only(lawful("Lawful_Notice__c", {**fields, "Kind__c": "ART13_SHOWN"}))
    assert isinstance(shown, NoticeShown)
    assert not shown.art14


def test_suppression_entry() -> None:
    fields = {
        "Identifier_Hash__c": "ab" * 32,
        "Scope__c": "EMAIL",
        "Reason__c": "ERASED",
        "Added_At__c": iso(T0),
    }
    event = only(lawful("Lawful_Suppression__c", fields))
    assert isinstance(event, SuppressionAdded)
    assert (event.scope, event.reason) == (SuppressionScope.EMAIL, "ERASED")


def test_deleting_an_event_record_emits_nothing() -> None:
    replica = Replica()
    lawful("Lawful_Restriction__c", {"Set_At__c": iso(T0), "Scope__c": "PERSON"}, replica)
    update = replica.apply(cdc("Lawful_Restriction__c", "DELETE", RECORD, at=T0 + days(1)))
    assert update.messages == ()
    assert update.image is not None
    assert update.image.deleted


def test_undelete_of_a_known_record_does_not_repeat_transitions() -> None:
    replica = Replica()
    fields = {"Individual__c": PERSON, "Set_At__c": iso(T0), "Scope__c": "PERSON"}
    first = replica.apply(cdc("Lawful_Restriction__c", "CREATE", RECORD, fields))
    replica.apply(cdc("Lawful_Restriction__c", "DELETE", RECORD, at=T0 + days(1)))
    again = replica.apply(cdc("Lawful_Restriction__c", "UNDELETE", RECORD, fields, at=T0 + days(2)))
    assert [e.event_id for e in events(again)] == [e.event_id for e in events(first)]
