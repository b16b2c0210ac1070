"""Composite requests with references, and the Consent API read side."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from simple_salesforce.api import Salesforce

from tests.fixtures.emulator import EmulatorHandle, rest, sobject

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


def test_composite_with_references(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:10]
    base = "/services/data/v59.0/sobjects"
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{base}/Individual",
                "referenceId": "person",
                "body": {"LastName": tag},
            },
            {
                "method": "POST",
                "url": f"{base}/Contact",
                "referenceId": "contact",
                "body": {"LastName": tag, "IndividualId": "@{person.id}"},
            },
            {
                "method": "GET",
                "url": f"{base}/Contact/@{{contact.id}}?fields=IndividualId",
                "referenceId": "read",
            },
        ],
    }
    result = rest(sf, "composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in result] == [201, 201, 200]
    assert result[2]["body"]["IndividualId"] == result[0]["body"]["id"]


def test_composite_all_or_none_is_one_transaction(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:10]
    base = "/services/data/v59.0/sobjects"
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{base}/Individual",
                "referenceId": "ok",
                "body": {"LastName": tag},
            },
            {"method": "POST", "url": f"{base}/Individual", "referenceId": "bad", "body": {}},
            {
                "method": "POST",
                "url": f"{base}/Individual",
                "referenceId": "after",
                "body": {"LastName": tag},
            },
        ],
    }
    result = rest(sf, "composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in result] == [400, 400, 400]
    assert result[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert result[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert result[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    soql = f"SELECT COUNT() FROM Individual WHERE LastName = '{tag}'"  # noqa: S608
    assert sf.query(soql)["totalSize"] == 0


def test_consent_api_least_permissive(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:10]
    person = sobject(sf, "Individual").create({"LastName": tag, "HasOptedOutTracking": True})["id"]
    email = f"{tag}@example.org"
    contact = sobject(sf, "Contact").create(
        {"LastName": tag, "IndividualId": person, "Email": email}
    )["id"]
    sobject(sf, "ContactPointTypeConsent").create(
        {
            "Name": "email opt-out",
            "PartyId": person,
            "ContactPointType": "Email",
            "PrivacyConsentStatus": "OptOut",
            "CaptureDate": "2025-01-01T00:00:00Z",
            "CaptureSource": "unsubscribe",
            "EffectiveFrom": "2025-01-01T00:00:00Z",
        }
    )
    answer = rest(
        sf,
        "consent/multiaction",
        params={"actions": "email,track,solicit", "ids": f"{contact},{email}"},
    )
    for key in (contact, email):
        proceed = answer[key]["proceed"]
        assert proceed["email"] == "false"
        assert proceed["track"] == "false"
        assert proceed["solicit"] == "true"
        assert proceed["emailResult"] == "Success"


def test_sosl_search(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:10]
    contact = sobject(sf, "Contact").create(
        {"LastName": "Searchable", "Email": f"{tag}@example.org"}
    )
    sobject(sf, "Lead").create({"LastName": tag, "Company": "Acme"})
    found = sf.search(f"FIND {{{tag}*}} IN EMAIL FIELDS RETURNING Contact(Id, Email), Lead(Id)")
    assert found is not None
    rows = found["searchRecords"]
    assert [(r["attributes"]["type"], r["Id"]) for r in rows] == [("Contact", contact["id"])]
    assert rows[0]["Email"] == f"{tag}@example.org"
    everywhere = sf.quick_search(tag)
    assert everywhere is not None
    assert {r["attributes"]["type"] for r in everywhere["searchRecords"]} == {"Contact", "Lead"}
