"""SOQL through simple-salesforce: filters, parent relationships, paging, queryAll, COUNT()."""

# ruff: noqa: S608 - SOQL built from test-generated tags

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.fixtures.emulator import EmulatorHandle, error_items, rest, sobject

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


@pytest.fixture(scope="module")
def family(sf: Salesforce) -> dict[str, object]:
    """An account, 250 contacts tagged with a unique LeadSource, one soft-deleted."""
    tag = f"q-{uuid.uuid4().hex[:10]}"
    account = sobject(sf, "Account").create({"Name": f"Acme {tag}"})["id"]
    records = [
        {
            "attributes": {"type": "Contact"},
            "LastName": f"P{n:03d}",
            "LeadSource": tag,
            "AccountId": account,
            "Email": f"p{n}@{tag}.example",
        }
        for n in range(250)
    ]
    ids: list[str] = []
    for start in range(0, 250, 200):
        results = rest(
            sf,
            "composite/sobjects",
            method="POST",
            json={"allOrNone": True, "records": records[start : start + 200]},
        )
        ids += [r["id"] for r in results]
    sobject(sf, "Contact").delete(ids[0])
    return {"tag": tag, "account": account, "ids": ids}


def test_parent_relationship_and_filters(sf: Salesforce, family: dict[str, object]) -> None:
    tag = family["tag"]
    result = sf.query(
        f"SELECT Id, LastName, Account.Name, Owner.Username FROM Contact "
        f"WHERE LeadSource = '{tag}' AND (LastName LIKE 'p00%' OR LastName IN ('P200', 'P201')) "
        f"ORDER BY LastName DESC LIMIT 5"
    )
    names = [r["LastName"] for r in result["records"]]
    assert names == ["P201", "P200", "P009", "P008", "P007"]
    first = result["records"][0]
    assert first["Account"]["Name"] == f"Acme {tag}"
    assert first["Account"]["attributes"]["type"] == "Account"
    assert first["Owner"]["Username"]


def test_paging_with_next_records_url(
    sf: Salesforce, emulator: EmulatorHandle, family: dict[str, object]
) -> None:
    emulator.org.config.query_page_size = 100
    try:
        first = sf.query(f"SELECT Id FROM Contact WHERE LeadSource = '{family['tag']}'")
        everything = sf.query_all(f"SELECT Id FROM Contact WHERE LeadSource = '{family['tag']}'")
    finally:
        emulator.org.config.query_page_size = 2000
    assert first["done"] is False
    assert first["totalSize"] == 249
    assert len(first["records"]) == 100
    assert "/query/01g" in first["nextRecordsUrl"]
    assert len(everything["records"]) == 249
    assert len({r["Id"] for r in everything["records"]}) == 249


def test_query_all_includes_deleted_rows(sf: Salesforce, family: dict[str, object]) -> None:
    deleted_id = family["ids"][0]  # type: ignore[index]
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{deleted_id}'"
    assert sf.query(soql)["totalSize"] == 0
    rows = sf.query_all(soql, include_deleted=True)["records"]
    assert [r["IsDeleted"] for r in rows] == [True]


def test_count_and_date_literals(sf: Salesforce, family: dict[str, object]) -> None:
    tag = family["tag"]
    today = sf.query(
        f"SELECT COUNT() FROM Contact WHERE LeadSource = '{tag}' AND CreatedDate = TODAY"
    )
    assert today["totalSize"] == 249
    assert today["records"] == []
    recent = sf.query(
        f"SELECT COUNT() FROM Contact WHERE LeadSource = '{tag}' AND CreatedDate = LAST_N_DAYS:3 "
        f"AND CreatedDate < TOMORROW AND Email != null"
    )
    assert recent["totalSize"] == 249
    old = sf.query(
        f"SELECT COUNT() FROM Contact WHERE LeadSource = '{tag}' AND "
        "CreatedDate < 2020-01-01T00:00:00Z"
    )
    assert old["totalSize"] == 0


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM NoSuchObject__c", "INVALID_TYPE"),
        ("SELECT Id FROM Contact WHERE Bogus.Name = 'x'", "INVALID_FIELD"),
        ("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "MALFORMED_QUERY"),
    ],
)
def test_bad_soql(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert [item["errorCode"] for item in error_items(caught.value)] == [code]
