"""sObject CRUD, upsert, describe, limits and error shapes through unmodified simple-salesforce."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from tests.fixtures.emulator import EmulatorHandle, error_items, rest, sobject

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


def _codes(error: Exception) -> list[str]:
    content = getattr(error, "content", [])
    return [item["errorCode"] for item in content]


def test_create_read_update_delete_individual(sf: Salesforce) -> None:
    individuals = sobject(sf, "Individual")
    created = individuals.create({"FirstName": "Maria", "LastName": "Keller"})
    record_id = created["id"]
    assert len(record_id) == 18
    assert record_id.startswith("0PK")
    row = individuals.get(record_id[:15])
    assert row["attributes"]["type"] == "Individual"
    assert row["Name"] == "Maria Keller"
    assert row["HasOptedOutSolicit"] is False
    assert row["CreatedDate"].endswith("+0000")
    assert individuals.update(record_id, {"HasOptedOutSolicit": True}) == 204
    assert individuals.get(record_id)["HasOptedOutSolicit"] is True
    assert individuals.delete(record_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        individuals.get(record_id)
    assert _codes(caught.value) == ["ENTITY_IS_DELETED"]


def test_contact_address_and_parent_lookup(sf: Salesforce) -> None:
    individual = sobject(sf, "Individual").create({"LastName": "Berlin"})["id"]
    contact = sobject(sf, "Contact").create(
        {
            "LastName": "Berlin",
            "IndividualId": individual,
            "MailingCity": "Berlin",
            "MailingPostalCode": "10115",
        }
    )["id"]
    row = sobject(sf, "Contact").get(contact)
    assert row["MailingAddress"]["city"] == "Berlin"
    assert row["MailingAddress"]["street"] is None
    assert row["IndividualId"] == individual


def test_upsert_by_external_id_creates_then_updates(
    sf: Salesforce, emulator: EmulatorHandle
) -> None:
    individual = sobject(sf, "Individual").create({"LastName": "Upsert"})["id"]
    requests_ = sobject(sf, "Lawful_Erasure_Request__c")
    key = f"ERQ-{uuid.uuid4().hex}"
    body = {"Individual__c": individual, "Received_At__c": "2026-01-05T10:00:00Z"}
    assert requests_.upsert(f"Request_Id__c/{key}", body) == 201
    assert requests_.upsert(f"Request_Id__c/{key}", {"Status__c": "IN_PROGRESS"}) == 200
    row = requests_.get_by_custom_id("Request_Id__c", key)
    assert row["Status__c"] == "IN_PROGRESS"
    assert row["Name"].startswith("ERA-")
    assert row["Received_At__c"] == "2026-01-05T10:00:00.000+0000"
    stored = emulator.org.get("Lawful_Erasure_Request__c", row["Id"])
    assert stored is not None
    assert stored["Request_Id__c"] == key


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"LastName": "x" * 81}, "STRING_TOO_LONG"),
        ({"FirstName": "NoLast"}, "REQUIRED_FIELD_MISSING"),
        ({"LastName": "A", "Nope__c": 1}, "INVALID_FIELD"),
        ({"LastName": "A", "BirthDate": "31/12/1990"}, "JSON_PARSER_ERROR"),
        ({"LastName": "A", "MasterRecordId": "bad-id"}, "MALFORMED_ID"),
        ({"LastName": "A", "Name": "computed"}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ],
)
def test_bad_writes_get_salesforce_error_shapes(
    sf: Salesforce, payload: dict[str, object], code: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "Individual").create(payload)
    assert caught.value.status == 400
    assert code in _codes(caught.value)
    assert all(
        {"message", "errorCode", "fields"} <= set(item) for item in error_items(caught.value)
    )


def test_restricted_picklist_and_reference_type(sf: Salesforce) -> None:
    party = sobject(sf, "Individual").create({"LastName": "Pick"})["id"]
    consent = {
        "Name": "c",
        "PartyId": party,
        "CaptureDate": "2025-01-01T00:00:00Z",
        "CaptureSource": "web",
        "ContactPointType": "Email",
    }
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "ContactPointTypeConsent").create({**consent, "PrivacyConsentStatus": "Maybe"})
    assert _codes(caught.value) == ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    contact = sobject(sf, "Contact").create({"LastName": "Wrong type"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "ContactPointTypeConsent").create({**consent, "PartyId": contact})
    assert _codes(caught.value) == ["FIELD_INTEGRITY_EXCEPTION"]
    created = sobject(sf, "ContactPointTypeConsent").create(consent)
    row = sobject(sf, "ContactPointTypeConsent").get(created["id"])
    assert row["PrivacyConsentStatus"] == "NotSeen"


def test_malformed_requests_never_500(sf: Salesforce) -> None:
    for method, path, body in [
        ("POST", "sobjects/Individual/", "{not json"),
        ("PATCH", "sobjects/Individual/0PKnotanid", "{}"),
        ("GET", "sobjects/NoSuchThing__c/describe", None),
        ("GET", "query/", None),
        ("POST", "composite/sobjects", "[]"),
    ]:
        response = sf.session.request(
            method,
            f"{sf.base_url}{path}",
            headers=sf.headers,
            data=body,
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (path, response.status_code)
        payload = response.json()
        assert isinstance(payload, list)
        assert payload[0]["errorCode"]


def test_describe_and_global_describe(sf: Salesforce) -> None:
    describe = sobject(sf, "ContactPointTypeConsent").describe()
    fields = {f["name"]: f for f in describe["fields"]}
    status = fields["PrivacyConsentStatus"]
    assert status["restrictedPicklist"] is True
    assert [v["value"] for v in status["picklistValues"]][:4] == [
        "NotSeen",
        "Seen",
        "OptIn",
        "OptOut",
    ]
    assert fields["PartyId"]["referenceTo"] == ["Individual"]
    assert fields["Lawful_Actor__c"]["custom"] is True
    names = {o["name"]: o for o in rest(sf, "sobjects")["sobjects"]}
    assert names["Individual"]["keyPrefix"] == "0PK"
    assert names["Lawful_Objection__c"]["custom"] is True
    assert "ContactChangeEvent" in names


def test_limits_header_and_endpoint(sf: Salesforce, emulator: EmulatorHandle) -> None:
    limits = sf.limits()
    usage = sf.api_usage["api-usage"]
    assert usage.total == emulator.org.api_usage.limit
    assert usage.used >= 1
    assert limits["DailyApiRequests"]["Max"] == usage.total


def test_platform_event_publish(sf: Salesforce) -> None:
    published = sobject(sf, "Lawful_Erasure_Request__e").create(
        {"Individual_Id__c": "0PK5g000000QrStGAK", "Request_Id__c": "ERQ-1"}
    )
    assert published["success"] is True
    assert published["id"].startswith("e")
    assert published["errors"][0]["statusCode"] == "OPERATION_ENQUEUED"
    assert len(published["errors"][0]["message"]) == 36
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "Lawful_Erasure_Request__e").create({"Bogus__c": 1, "Request_Id__c": "x"})
    assert "INVALID_FIELD" in _codes(caught.value)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Lawful_Erasure_Request__e")
    assert _codes(caught.value) == ["INVALID_TYPE"]
