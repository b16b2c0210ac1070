"""Running SOQL against the store: filters, relationships, ordering and the Id/reference index."""

# ruff: noqa: S608 - SOQL built from generated ids

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulator.org import Org
from emulator.soql import SoqlError
from emulator.soql.run import QueryResult, run_query

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def org() -> Org:
    return Org()


def _run(org: Org, soql: str, *, deleted: bool = False) -> QueryResult:
    return run_query(org.store, soql, "59.0", datetime.now(UTC), include_deleted=deleted)


def test_reference_index_follows_updates(org: Org) -> None:
    first = org.create("Individual", {"LastName": "First"})
    second = org.create("Individual", {"LastName": "Second"})
    consent = {
        "Name": "c",
        "CaptureDate": "2025-01-01T00:00:00Z",
        "CaptureSource": "web",
        "ContactPointType": "Email",
    }
    moving = org.create("ContactPointTypeConsent", {**consent, "PartyId": first})
    org.create("ContactPointTypeConsent", {**consent, "PartyId": first})
    soql = "SELECT Id FROM ContactPointTypeConsent WHERE PartyId = '{}' AND Name = 'c'"
    assert _run(org, soql.format(first)).total_size == 2
    org.update("ContactPointTypeConsent", moving, {"PartyId": second})
    assert [r["Id"] for r in _run(org, soql.format(second)).rows] == [moving]
    assert _run(org, soql.format(first[:15])).total_size == 1
    org.delete("ContactPointTypeConsent", moving)
    assert _run(org, soql.format(second)).total_size == 0
    assert _run(org, soql.format(second), deleted=True).total_size == 1


def test_id_in_list_and_ordering_with_nulls(org: Org) -> None:
    ids = [
        org.create("Contact", {"LastName": name, "Title": title})
        for name, title in (("b", "x"), ("a", None), ("c", "y"))
    ]
    quoted = ", ".join(f"'{i}'" for i in ids)
    rows = _run(org, f"SELECT LastName FROM Contact WHERE Id IN ({quoted}) ORDER BY Title").rows
    assert [r["LastName"] for r in rows] == ["a", "b", "c"]
    rows = _run(
        org, f"SELECT LastName FROM Contact WHERE Id IN ({quoted}) ORDER BY Title DESC"
    ).rows
    assert [r["LastName"] for r in rows] == ["c", "b", "a"]
    rows = _run(org, f"SELECT LastName FROM Contact WHERE Id IN ({quoted}) AND Title != 'x'").rows
    assert sorted(r["LastName"] for r in rows) == ["a", "c"]


def test_parent_relationship_rows_and_null_parents(org: Org) -> None:
    individual = org.create("Individual", {"LastName": "Parent", "FirstName": "P"})
    with_parent = org.create("Contact", {"LastName": "Child", "IndividualId": individual})
    orphan = org.create("Contact", {"LastName": "Orphan"})
    rows = _run(
        org,
        f"SELECT Individual.Name, Individual.Owner.Alias FROM Contact "
        f"WHERE Id IN ('{with_parent}', '{orphan}') ORDER BY LastName",
    ).rows
    assert rows[0]["Individual"]["Name"] == "P Parent"
    assert rows[0]["Individual"]["Owner"]["Alias"] == "lawful"
    assert rows[1]["Individual"] is None


def test_type_errors_in_filters(org: Org) -> None:
    with pytest.raises(SoqlError) as caught:
        _run(org, "SELECT Id FROM Contact WHERE DoNotCall = 'yes'")
    assert caught.value.code == "INVALID_FIELD"
    with pytest.raises(SoqlError):
        _run(org, "SELECT Id FROM Contact WHERE LastName = TODAY")


def test_fields_functions(org: Org) -> None:
    record_id = org.create(
        "Lawful_LIA__c",
        {"Reference__c": "LIA-FIELDS", "Outcome__c": "PASS", "Assessed_On__c": "2025-01-01"},
    )
    soql = "SELECT Id, FIELDS({}) FROM Lawful_LIA__c WHERE Id = '{}' LIMIT 1"
    custom = _run(org, soql.format("CUSTOM", record_id)).rows[0]
    assert set(custom) == {
        "attributes",
        "Id",
        "Reference__c",
        "Outcome__c",
        "Assessed_On__c",
        "Review_Due__c",
        "Interest__c",
    }
    standard = _run(org, soql.format("STANDARD", record_id)).rows[0]
    assert "Name" in standard
    assert "Outcome__c" not in standard
    with pytest.raises(SoqlError, match="LIMIT"):
        _run(org, "SELECT FIELDS(ALL) FROM Contact")


def test_rows_keep_the_select_order_across_plain_parent_and_compound_fields(org: Org) -> None:
    """Rows are shaped by runs of plain fields with parent paths and compounds in between."""
    individual = org.create("Individual", {"LastName": "Order", "FirstName": "O"})
    contact = org.create(
        "Contact",
        {
            "LastName": "Shape",
            "Email": "shape@x.org",
            "IndividualId": individual,
            "MailingCity": "Berlin",
        },
    )
    row = _run(
        org,
        "SELECT LastName, Email, Individual.Name, MailingAddress, Individual.FirstName, "
        f"Id, MailingCity, Title FROM Contact WHERE Id = '{contact}'",
    ).rows[0]
    assert list(row) == [
        "attributes",
        "LastName",
        "Email",
        "Individual",
        "MailingAddress",
        "Id",
        "MailingCity",
        "Title",
    ]
    assert row["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v59.0/sobjects/Contact/{contact}",
    }
    assert (row["LastName"], row["Email"], row["Id"]) == ("Shape", "shape@x.org", contact)
    assert (row["MailingCity"], row["Title"]) == ("Berlin", None)
    assert row["Individual"]["Name"] == "O Order"
    assert row["Individual"]["FirstName"] == "O"
    assert row["MailingAddress"]["city"] == "Berlin"
