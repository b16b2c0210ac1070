"""Write validation: coercion of values and Salesforce's error codes."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.schema.org_schema import build_schema
from emulator.validation import coerce_payload, missing_required

pytestmark = pytest.mark.unit

SCHEMA = build_schema()


def _codes(obj: str, payload: dict[str, Any], *, creating: bool = True) -> list[str]:
    _, errors = coerce_payload(SCHEMA.objects[obj], payload, creating=creating)
    return [e.code for e in errors]


def test_values_are_stored_in_rest_form() -> None:
    values, errors = coerce_payload(
        SCHEMA.objects["ContactPointTypeConsent"],
        {
            "capturedate": "2024-07-16T15:29:10+02:00",
            "PrivacyConsentStatus": "OptIn",
            "partyid": "0PK5g000000QrSt",
            "Lawful_Explicit__c": "true",
        },
        creating=True,
    )
    assert errors == []
    assert values == {
        "CaptureDate": "2024-07-16T13:29:10.000+0000",
        "PrivacyConsentStatus": "OptIn",
        "PartyId": "0PK5g000000QrStGAK",
        "Lawful_Explicit__c": True,
    }


@pytest.mark.parametrize(
    ("obj", "payload", "code"),
    [
        ("Contact", {"Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
        ("Contact", {"LastName": "x" * 81}, "STRING_TOO_LONG"),
        ("Contact", {"Unknown__c": 1}, "INVALID_FIELD"),
        ("Contact", {"IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ("Contact", {"Birthdate": "2024-13-40"}, "JSON_PARSER_ERROR"),
        ("Contact", {"DoNotCall": "yes"}, "JSON_PARSER_ERROR"),
        ("Contact", {"AccountId": "001-bad"}, "MALFORMED_ID"),
        (
            "ContactPointTypeConsent",
            {"ContactPointType": "Fax"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        ),
        ("Lawful_Objection__c", {"Status__c": "MAYBE"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ("Individual", {"ChildrenCount": 1.5}, "JSON_PARSER_ERROR"),
    ],
)
def test_bad_values(obj: str, payload: dict[str, Any], code: str) -> None:
    assert _codes(obj, payload) == [code]


def test_required_fields_come_from_the_schema_and_the_metadata() -> None:
    missing = missing_required(SCHEMA.objects["Lawful_Objection__c"], {"Status__c": "PENDING"})
    assert missing is not None
    assert missing.code == "REQUIRED_FIELD_MISSING"
    assert set(missing.fields) == {"Individual__c", "Kind__c", "Received_At__c"}
    assert missing_required(SCHEMA.objects["Account"], {"LastName": "Person"}) is None
    account = missing_required(SCHEMA.objects["Account"], {})
    assert account is not None
    assert account.fields == ("Name",)
