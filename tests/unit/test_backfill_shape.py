"""REST records -> CDC-shaped SNAPSHOT payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.messages import SalesforceEvent
from workers.backfill.shape import cdc_body, commit_ms, snapshot_event, snapshot_json

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_contact_name_and_addresses_are_nested_and_nulls_dropped() -> None:
    record = {
        "attributes": {"type": "Contact"},
        "Id": "003000000000001AAA",
        "Name": "Maria Keller",
        "FirstName": "Maria",
        "LastName": "Keller",
        "Salutation": None,
        "MailingCity": "Berlin",
        "MailingAddress": {"city": "Berlin"},
        "OtherStreet": "Hauptstr. 1",
        "Email": None,
        "HasOptedOutOfEmail": False,
        "SystemModstamp": "2026-11-29T10:00:00.000+0000",
    }
    assert cdc_body("Contact", record) == {
        "Name": {"FirstName": "Maria", "LastName": "Keller"},
        "MailingAddress": {"City": "Berlin"},
        "OtherAddress": {"Street": "Hauptstr. 1"},
        "HasOptedOutOfEmail": False,
    }


def test_business_account_keeps_its_plain_name_person_account_nests_it() -> None:
    business = {"Id": "001A", "Name": "Acme", "LastName": None, "BillingCountry": "FR"}
    assert cdc_body("Account", business) == {"Name": "Acme", "BillingAddress": {"Country": "FR"}}
    person = {"Id": "001B", "Name": "Jo Smith", "FirstName": "Jo", "LastName": "Smith"}
    assert cdc_body("Account", person) == {"Name": {"FirstName": "Jo", "LastName": "Smith"}}


def test_purpose_name_is_a_plain_field() -> None:
    assert cdc_body("DataUsePurpose", {"Id": "0j1A", "Name": "Newsletter"}) == {
        "Name": "Newsletter"
    }


@pytest.mark.parametrize(
    "raw", ["2026-11-29T10:00:05.000+0000", "2026-11-29T10:00:05Z", "2026-11-29T11:00:05+01:00"]
)
def test_commit_time_from_last_modified_date(raw: str) -> None:
    assert commit_ms({"LastModifiedDate": raw}) == int(
        datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC).timestamp() * 1000
    )


def test_snapshot_event_is_a_create_like_backfill_message() -> None:
    record = {
        "Id": "0PK000000000001AAA",
        "LastName": "K",
        "LastModifiedDate": "2026-11-29T10:00:05Z",
    }
    event = snapshot_event("Individual", record, received_at=NOW)
    header = event.payload["ChangeEventHeader"]
    assert (event.origin, event.change_type, event.record_id) == (
        "backfill",
        "SNAPSHOT",
        "0PK000000000001AAA",
    )
    assert header["changeType"] == "CREATE"
    assert header["recordIds"] == ["0PK000000000001AAA"]
    assert header["commitTimestamp"] == commit_ms(record)
    assert event.payload["Name"] == {"LastName": "K"}
    assert event.replay_id is None


@pytest.mark.parametrize(
    ("entity", "record"),
    [
        (
            "Contact",
            {
                "Id": "003000000000001AAA",
                "FirstName": "Maria",
                "LastName": "Keller",
                "MailingCity": "Berlin",
                "LastModifiedDate": "2026-11-29T10:00:05.000+0000",
            },
        ),
        (
            "Lawful_Notice__c",
            {
                "attributes": {"type": "Lawful_Notice__c"},
                "Id": "a01000000000001AAA",
                "Name": "PN-1",
                "Lawful_Text__c": None,
                "IsDeleted": False,
                "CreatedDate": "2026-11-29T10:00:05.000+0000",
                "LastModifiedDate": None,
            },
        ),
        ("Account", {"Id": "001A", "Name": "Acme", "LastName": None, "BillingCountry": "FR"}),
        (
            "Account",
            {"Id": "001B", "FirstName": "Jo", "LastName": "Smith", "PersonMailingCity": "X"},
        ),
    ],
)
def test_fast_json_is_the_same_document_as_the_model(
    entity: str, record: dict[str, object]
) -> None:
    fast = SalesforceEvent.model_validate_json(snapshot_json(entity, record, received_at=NOW))
    assert fast == snapshot_event(entity, record, received_at=NOW)
    assert fast.payload["ChangeEventHeader"]["commitTimestamp"] == commit_ms(record)
