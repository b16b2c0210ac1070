"""sObject Collections, getDeleted/undelete and Bulk API 2.0 hard delete via simple-salesforce."""

# ruff: noqa: S608 - SOQL built from test-generated tags

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.fixtures.emulator import EmulatorHandle, bulk2, error_items, rest, sobject

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


def _individuals(names: list[str | None]) -> list[dict[str, object]]:
    return [{"attributes": {"type": "Individual"}, "LastName": n} for n in names]


def _count(sf: Salesforce, soql: str) -> int:
    total: int = sf.query(soql)["totalSize"]
    return total


def test_partial_success_without_all_or_none(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:12]
    results = rest(
        sf,
        "composite/sobjects",
        method="POST",
        json={"allOrNone": False, "records": _individuals([tag, None, tag])},
    )
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert _count(sf, f"SELECT COUNT() FROM Individual WHERE LastName = '{tag}'") == 2


def test_all_or_none_rolls_everything_back(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:12]
    results = rest(
        sf,
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": _individuals([tag, None, tag])},
    )
    assert [r["success"] for r in results] == [False, False, False]
    codes = [r["errors"][0]["statusCode"] for r in results]
    assert codes == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "REQUIRED_FIELD_MISSING",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    ]
    assert _count(sf, f"SELECT COUNT() FROM Individual WHERE LastName = '{tag}'") == 0


def test_two_hundred_record_cap(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        rest(sf, "composite/sobjects", method="POST", json={"records": _individuals(["x"] * 201)})
    assert error_items(caught.value)[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_update_upsert_retrieve_and_delete_collections(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:12]
    created = rest(
        sf, "composite/sobjects", method="POST", json={"records": _individuals([tag, tag])}
    )
    ids = [r["id"] for r in created]
    updates = [
        {"attributes": {"type": "Individual"}, "Id": i, "HasOptedOutSolicit": True} for i in ids
    ]
    assert all(
        r["success"]
        for r in rest(sf, "composite/sobjects", method="PATCH", json={"records": updates})
    )
    rows = rest(
        sf,
        "composite/sobjects/Individual",
        method="GET",
        params={"ids": ",".join(ids), "fields": "Id,HasOptedOutSolicit"},
    )
    assert [r["HasOptedOutSolicit"] for r in rows] == [True, True]
    key = f"ERQ-{tag}"
    upserted = rest(
        sf,
        "composite/sobjects/Lawful_Erasure_Request__c/Request_Id__c",
        method="PATCH",
        json={
            "records": [
                {
                    "attributes": {"type": "Lawful_Erasure_Request__c"},
                    "Request_Id__c": key,
                    "Received_At__c": "2026-02-01T00:00:00Z",
                }
            ]
        },
    )
    assert upserted[0]["created"] is True
    deleted = rest(
        sf,
        "composite/sobjects",
        method="DELETE",
        params={"ids": ",".join([*ids, "001RM000003oLrB000"])},
    )
    assert [r["success"] for r in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"


def test_get_deleted_and_undelete(sf: Salesforce, emulator: EmulatorHandle) -> None:
    record_id = sobject(sf, "Individual").create({"LastName": "Recycled"})["id"]
    start = datetime.now(UTC) - timedelta(minutes=5)
    sobject(sf, "Individual").delete(record_id)
    end = datetime.now(UTC) + timedelta(minutes=5)
    deleted = sobject(sf, "Individual").deleted(start, end)
    assert record_id in [d["id"] for d in deleted["deletedRecords"]]
    with emulator.requests_session() as session:
        response = session.post(
            f"{emulator.instance_url}/_emulator/undelete",
            json={"type": "Individual", "ids": [record_id]},
            timeout=10,
        )
    assert response.json() == [{"id": record_id, "success": True}]
    assert sobject(sf, "Individual").get(record_id)["IsDeleted"] is False


def test_bulk2_hard_delete_removes_from_recycle_bin(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:12]
    created = rest(
        sf,
        "composite/sobjects",
        method="POST",
        json={"records": [{"attributes": {"type": "Contact"}, "LastName": tag} for _ in range(3)]},
    )
    ids = [r["id"] for r in created]
    results = bulk2(sf, "Contact").hard_delete(records=[{"Id": i} for i in ids], wait=0)
    assert results[0]["numberRecordsProcessed"] == 3
    assert results[0]["numberRecordsFailed"] == 0
    soql = f"SELECT Id FROM Contact WHERE LastName = '{tag}'"
    assert sf.query_all(soql, include_deleted=True)["records"] == []
    assert rest(sf, "queryAll/", params={"q": soql})["totalSize"] == 0


def test_bulk2_soft_delete_keeps_rows_in_query_all(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:12]
    created = rest(
        sf,
        "composite/sobjects",
        method="POST",
        json={"records": [{"attributes": {"type": "Contact"}, "LastName": tag} for _ in range(2)]},
    )
    results = bulk2(sf, "Contact").delete(records=[{"Id": r["id"]} for r in created], wait=0)
    assert results[0]["numberRecordsProcessed"] == 2
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE LastName = '{tag}'"
    assert sf.query(soql)["totalSize"] == 0
    rows = sf.query_all(soql, include_deleted=True)["records"]
    assert [r["IsDeleted"] for r in rows] == [True, True]
