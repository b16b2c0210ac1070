"""The record replica: CDC sequences, duplicates, stale changes, gaps, re-parenting, links."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.changes import RecordChange as EmulatedChange
from emulator.streaming.cdc import change_payload
from handlers.records import apply_salesforce_event, flatten
from schemas.events import ConsentRecorded, ErasureRequested
from schemas.messages import SalesforceEvent
from tests.unit.test_pipeline_support import (
    OTHER,
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    days,
    individual_fields,
    snapshot,
)

pytestmark = pytest.mark.unit

CONTACT = "003000000000001AAA"
CONSENT = "0ZY000000000001AAA"


def test_create_update_delete_undelete_give_the_right_image() -> None:
    replica = Replica()
    create = {
        "Name": {"FirstName": "Maria", "LastName": "Keller"},
        "MailingAddress": {"Street": "Hauptstrasse 12", "City": "Berlin"},
        "Email": "maria@example.org",
        "IndividualId": PERSON,
        "Title": "Dr",
    }
    replica.apply(cdc("Contact", "CREATE", CONTACT, create, at=T0))
    image = replica.images[CONTACT]
    assert image.fields["FirstName"] == "Maria"
    assert image.fields["MailingCity"] == "Berlin"
    assert image.individual_id == PERSON

    update = {
        "Name": {"LastName": "Keller-Braun"},
        "MailingAddress": {"City": "Hamburg"},
        "Title": None,
    }
    replica.apply(
        cdc(
            "Contact",
            "UPDATE",
            CONTACT,
            update,
            at=T0 + days(1),
            changed=["Name.LastName", "MailingAddress.City", "Title"],
        )
    )
    image = replica.images[CONTACT]
    assert image.fields["FirstName"] == "Maria"  # untouched component kept
    assert image.fields["LastName"] == "Keller-Braun"
    assert image.fields["MailingStreet"] == "Hauptstrasse 12"
    assert image.fields["MailingCity"] == "Hamburg"
    assert image.fields["Title"] is None  # nulled
    assert image.fields["Email"] == "maria@example.org"  # absent = unchanged

    replica.apply(cdc("Contact", "DELETE", CONTACT, at=T0 + days(2)))
    image = replica.images[CONTACT]
    assert image.deleted
    assert image.individual_id == PERSON
    assert image.record_id == CONTACT

    replica.apply(cdc("Contact", "UNDELETE", CONTACT, {**create, "Title": "Prof"}, at=T0 + days(3)))
    image = replica.images[CONTACT]
    assert not image.deleted
    assert image.fields["Title"] == "Prof"
    assert image.fields["LastName"] == "Keller"


def test_a_duplicate_changes_nothing_and_emits_nothing() -> None:
    replica = Replica()
    event = cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt"))
    first = replica.apply(event)
    assert len(first.messages) == 1
    again = replica.apply(event)
    assert again.messages == ()
    assert again.image == first.image


def test_a_stale_change_is_skipped() -> None:
    replica = Replica()
    replica.apply(
        cdc(
            "ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt"), at=T0 + days(2)
        )
    )
    old = cdc(
        "ContactPointTypeConsent",
        "UPDATE",
        CONSENT,
        {"PrivacyConsentStatus": "OptOut"},
        at=T0 + days(1),
    )
    update = replica.apply(old)
    assert update.messages == ()
    assert replica.images[CONSENT].fields["PrivacyConsentStatus"] == "OptIn"


def test_same_commit_second_with_an_older_replay_id_is_skipped() -> None:
    replica = Replica()
    replica.apply(cdc("Contact", "CREATE", CONTACT, {"Title": "a"}, replay=10))
    replica.apply(cdc("Contact", "UPDATE", CONTACT, {"Title": "b"}, replay=12))
    replica.apply(cdc("Contact", "UPDATE", CONTACT, {"Title": "a"}, replay=11))
    assert replica.images[CONTACT].fields["Title"] == "b"


@pytest.mark.parametrize("gap", ["GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE"])
def test_gap_events_ask_to_re_read_the_record(gap: str) -> None:
    update = apply_salesforce_event(None, cdc("Contact", gap, CONTACT), CONTACT)
    assert update.resync is not None
    assert update.resync.entity == "Contact"
    assert update.resync.record_ids == (CONTACT,)
    assert update.messages == ()


def test_overflow_asks_for_the_whole_entity() -> None:
    event = cdc("ContactPointTypeConsent", "GAP_OVERFLOW", "000000000000000AAA")
    update = apply_salesforce_event(None, event, "ContactPointTypeConsent")
    assert update.resync is not None
    assert update.resync.record_ids == ()
    assert update.resync.entity == "ContactPointTypeConsent"


def test_large_text_diff_is_re_read() -> None:
    replica = Replica()
    replica.apply(cdc("Contact", "CREATE", CONTACT, {"Description": "x" * 2000}))
    update = replica.apply(
        cdc("Contact", "UPDATE", CONTACT, {"Description": {"diff": "--- \n+++ ab\n"}})
    )
    assert update.resync is not None
    assert update.resync.reason == "LARGE_TEXT_DIFF"
    assert replica.images[CONTACT].fields["Description"] == "x" * 2000


def test_update_without_an_image_is_kept_and_re_read() -> None:
    update = apply_salesforce_event(
        None, cdc("Contact", "UPDATE", CONTACT, {"Title": "x"}), CONTACT
    )
    assert update.image is not None
    assert update.image.fields["Title"] == "x"
    assert update.resync is not None
    assert update.resync.record_ids == (CONTACT,)


def test_snapshot_replaces_the_image_in_rest_shape() -> None:
    replica = Replica()
    replica.apply(
        cdc(
            "Contact", "CREATE", CONTACT, {"Title": "a", "Email": "e@x.org", "IndividualId": PERSON}
        )
    )
    fields = {
        "Title": "b",
        "IndividualId": PERSON,
        "MailingAddress": {"street": "1 Main St", "city": "Leeds", "postalCode": "LS1"},
    }
    replica.apply(snapshot("Contact", CONTACT, fields, at=T0 + days(1)))
    image = replica.images[CONTACT]
    assert image.fields["Title"] == "b"
    assert "Email" not in image.fields  # replaced, not merged
    assert image.fields["MailingPostalCode"] == "LS1"
    assert "attributes" not in image.fields
    assert "Id" not in image.fields


def test_snapshot_older_than_the_stream_is_ignored() -> None:
    replica = Replica()
    replica.apply(cdc("Contact", "CREATE", CONTACT, {"Title": "new"}, at=T0 + days(2)))
    replica.apply(snapshot("Contact", CONTACT, {"Title": "old"}, at=T0 + days(1)))
    assert replica.images[CONTACT].fields["Title"] == "new"


def test_re_parenting_tells_both_persons() -> None:
    replica = Replica()
    replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt")))
    update = replica.apply(
        cdc("ContactPointTypeConsent", "UPDATE", CONSENT, {"PartyId": OTHER}, at=T0 + days(1))
    )
    by_person = {m.individual_id: m for m in update.messages}
    assert set(by_person) == {PERSON, OTHER}
    old = by_person[PERSON]
    assert old.kind == "RECORD_FACT"
    assert old.record is not None
    assert old.record.deleted
    new = by_person[OTHER]
    assert isinstance(new.event, ConsentRecorded)
    assert replica.images[CONSENT].individual_id == OTHER


def test_contact_merge_moves_the_link() -> None:
    replica = Replica()
    first = replica.apply(cdc("Contact", "CREATE", CONTACT, {"IndividualId": PERSON}))
    assert [(link.key, link.individual_id, link.linked) for link in first.links] == [
        (CONTACT, PERSON, True)
    ]
    moved = replica.apply(
        cdc("Contact", "UPDATE", CONTACT, {"IndividualId": OTHER}, at=T0 + days(1))
    )
    assert [(link.individual_id, link.linked) for link in moved.links] == [
        (PERSON, False),
        (OTHER, True),
    ]
    assert replica.links[CONTACT] == {OTHER}


def test_delete_unlinks_and_undelete_links_again() -> None:
    replica = Replica()
    replica.apply(cdc("Contact", "CREATE", CONTACT, {"IndividualId": PERSON}))
    replica.apply(cdc("Contact", "DELETE", CONTACT, at=T0 + days(1)))
    assert replica.links[CONTACT] == set()
    replica.apply(cdc("Contact", "UNDELETE", CONTACT, {"IndividualId": PERSON}, at=T0 + days(2)))
    assert replica.links[CONTACT] == {PERSON}


def test_opportunity_is_resolved_through_its_contact_role() -> None:
    replica = Replica()
    replica.apply(cdc("Contact", "CREATE", CONTACT, {"IndividualId": PERSON}))
    opportunity = "006000000000001AAA"
    role = "00K000000000001AAA"
    unresolved = replica.apply(
        cdc("Opportunity", "CREATE", opportunity, {"StageName": "Closed Won", "IsWon": True})
    )
    assert unresolved.messages == ()
    assert unresolved.unresolved is not None
    linked = replica.apply(
        cdc(
            "OpportunityContactRole",
            "CREATE",
            role,
            {"OpportunityId": opportunity, "ContactId": CONTACT},
        )
    )
    assert [m.individual_id for m in linked.messages] == [PERSON]
    assert replica.links[opportunity] == {PERSON}
    assert linked.resync is not None
    assert (linked.resync.entity, linked.resync.record_ids) == ("Opportunity", (opportunity,))
    again = replica.apply(
        snapshot(
            "Opportunity", opportunity, {"StageName": "Closed Won", "IsWon": True}, at=T0 + days(1)
        )
    )
    assert [m.individual_id for m in again.messages] == [PERSON]


def test_a_record_without_a_person_emits_nothing_and_says_so() -> None:
    fields = consent_fields("pet-mkt")
    del fields["PartyId"]
    update = apply_salesforce_event(
        None, cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields), CONSENT
    )
    assert update.messages == ()
    assert update.unresolved is not None
    assert CONSENT in update.unresolved


def test_catalogue_changes_are_flagged() -> None:
    update = apply_salesforce_event(
        None,
        cdc("DataUsePurpose", "UPDATE", "0ZW000000000001AAA", {"Lawful_Basis__c": "CONSENT"}),
        "0ZW000000000001AAA",
    )
    assert update.catalogue
    assert update.unresolved is None


def test_a_purpose_basis_update_is_a_basis_change_to_fan_out() -> None:
    replica = Replica()
    purpose = "0ZW000000000001AAA"
    created = replica.apply(
        cdc("DataUsePurpose", "CREATE", purpose, {"Lawful_Basis__c": "CONSENT"})
    )
    assert created.basis_change is None
    renamed = replica.apply(
        cdc("DataUsePurpose", "UPDATE", purpose, {"Name": "x"}, at=T0 + days(1))
    )
    assert renamed.basis_change is None
    update = replica.apply(
        cdc(
            "DataUsePurpose",
            "UPDATE",
            purpose,
            {"Lawful_Basis__c": "LEGITIMATE_INTERESTS"},
            at=T0 + days(2),
        )
    )
    change = update.basis_change
    assert change is not None
    assert (change.purpose_id, change.new_basis.value) == (purpose, "LEGITIMATE_INTERESTS")
    assert change.occurred_at == T0 + days(2)
    assert update.catalogue


def test_erasure_platform_event() -> None:
    event = SalesforceEvent(
        channel="/event/Lawful_Erasure_Request__e",
        replay_id=5,
        payload={
            "Individual_Id__c": PERSON,
            "Request_Id__c": "REQ-9",
            "Received_At__c": "2026-01-02T00:00:00.000Z",
        },
        event_uuid="uuid-1",
        received_at=T0,
    )
    update = apply_salesforce_event(None, event, "uuid-1")
    assert update.image is None
    (message,) = update.messages
    assert message.individual_id == PERSON
    assert isinstance(message.event, ErasureRequested)
    assert message.event.request_id == "REQ-9"


def test_flatten_keeps_a_business_account_name() -> None:
    fields, diff = flatten({"Name": "Acme Ltd", "BillingAddress": {"City": "Leeds"}})
    assert fields == {"Name": "Acme Ltd", "BillingCity": "Leeds"}
    assert not diff


def test_individual_create_emits_its_fact() -> None:
    update = apply_salesforce_event(
        None, cdc("Individual", "CREATE", PERSON, individual_fields()), PERSON
    )
    (message,) = update.messages
    assert message.kind == "RECORD_FACT"
    assert message.record is not None
    assert message.record.fields["Lawful_Jurisdiction__c"] == "UK"
    assert "FirstName" not in message.record.fields  # only what the person derivation needs


def _emulated(
    change_type: str, values: dict[str, Any], nulled: tuple[str, ...], ms: int
) -> SalesforceEvent:
    """A Contact change rendered by the emulator's CDC code (the shapes of salesforce.md §3)."""
    change = EmulatedChange(
        entity="Contact",
        change_type=change_type,  # type: ignore[arg-type]
        record_id=CONTACT,
        values=values,
        nulled=nulled,
        transaction_key=f"tx-{ms}",
        commit_timestamp_ms=ms,
        commit_number=ms * 1000,
        commit_user="005000000000001AAA",
        change_origin="com/salesforce/api/rest/62.0",
        sequence_number=1,
    )
    return SalesforceEvent(
        channel="/data/ContactChangeEvent",
        replay_id=ms,
        record_id=CONTACT,
        entity="Contact",
        change_type=change_type,
        payload=change_payload(change, [CONTACT]),
        received_at=T0,
    )


def test_the_emulators_compound_and_nulled_fields_apply() -> None:
    replica = Replica()
    created = {
        "FirstName": "Maria",
        "LastName": "Keller",
        "MailingStreet": "Hauptstrasse 12",
        "MailingCity": "Berlin",
        "Title": "Dr",
        "IndividualId": PERSON,
    }
    replica.apply(_emulated("CREATE", created, (), 1_000))
    replica.apply(
        _emulated(
            "UPDATE", {"LastName": "Keller-Braun", "MailingCity": "Hamburg"}, ("Title",), 2_000
        )
    )
    fields = replica.images[CONTACT].fields
    assert fields["FirstName"] == "Maria"
    assert fields["LastName"] == "Keller-Braun"
    assert fields["MailingStreet"] == "Hauptstrasse 12"
    assert fields["MailingCity"] == "Hamburg"
    assert fields["Title"] is None
    assert replica.images[CONTACT].individual_id == PERSON


def test_flatten_without_compound_values_keeps_the_body_in_order() -> None:
    payload = {
        "ChangeEventHeader": {"changeType": "UPDATE"},
        "Title": "x",
        "attributes": {"type": "Contact"},
        "Id": "003",
        "Email": None,
        "Tags": ["a"],
    }
    fields, diff = flatten(payload)
    assert list(fields.items()) == [("Title", "x"), ("Email", None), ("Tags", ["a"])]
    assert not diff
    fields["Title"] = "changed"
    assert payload["Title"] == "x"
    mixed, _ = flatten({"Title": "x", "Name": {"LastName": "Doe"}, "Phone": "1"})
    assert list(mixed) == ["Title", "LastName", "Phone"]
