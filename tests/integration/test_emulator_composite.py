"""Composite requests with references, and the Consent API read side."""

# ruff: noqa: S608 - SOQL built from generated ids

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
    soql = f"SELECT COUNT() FROM Individual WHERE LastName = '{tag}'"
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


def test_consent_api_write_then_read(sf: Salesforce, emulator: EmulatorHandle) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"{tag}@example.org"
    contact = sobject(sf, "Contact").create({"LastName": tag, "Email": email})["id"]
    written = rest(
        sf,
        "consent/action/email",
        method="PATCH",
        json={},
        params={
            "ids": email,
            "status": "optout",
            "captureSource": "preference-centre",
            "captureDate": "2026-01-02T03:04:05Z",
            "createIndividual": "true",
        },
    )
    assert written == {email: {"result": "Success"}}
    row = sobject(sf, "Contact").get(contact)
    assert row["HasOptedOutOfEmail"] is True
    individual = row["IndividualId"]
    assert individual is not None
    consents = sf.query(
        f"SELECT PrivacyConsentStatus, CaptureSource, CaptureDate FROM ContactPointTypeConsent "
        f"WHERE PartyId = '{individual}'"
    )["records"]
    assert [
        (c["PrivacyConsentStatus"], c["CaptureSource"], c["CaptureDate"]) for c in consents
    ] == [("OptOut", "preference-centre", "2026-01-02T03:04:05.000+0000")]
    read = rest(sf, "consent/action/email", params={"ids": contact})
    assert read[contact]["proceed"]["email"] == "false"
    assert emulator.org.get("Individual", individual) is not None
