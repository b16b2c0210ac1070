"""The store's change feed (the contract with the streaming side) and deterministic seeding."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.changes import Transaction
from emulator.clock import Clock
from emulator.org import Org
from emulator.seed import seed_org
from emulator.transaction import RecordError

pytestmark = pytest.mark.unit

SYSTEM = {"CreatedDate", "LastModifiedDate", "SystemModstamp"}


class RecordingSink:
    def __init__(self) -> None:
        self.transactions: list[Transaction] = []

    def transaction_committed(self, transaction: Transaction) -> None:
        self.transactions.append(transaction)


@pytest.fixture(scope="module")
def org() -> Org:
    return Org()


@pytest.fixture
def sink(org: Org) -> RecordingSink:
    recording = RecordingSink()
    org.attach(sink=recording)
    return recording


def test_create_update_delete_undelete_emit_one_transaction_each(
    org: Org, sink: RecordingSink
) -> None:
    record_id = org.create("Individual", {"LastName": "Keller", "FirstName": "Maria"})
    org.update("Individual", record_id, {"FirstName": None, "HasOptedOutSolicit": True})
    org.delete("Individual", record_id)
    org.undelete("Individual", record_id)
    kinds = [[c.change_type for c in t.changes] for t in sink.transactions]
    assert kinds == [["CREATE"], ["UPDATE"], ["DELETE"], ["UNDELETE"]]
    create, update, delete, _ = (t.changes[0] for t in sink.transactions)
    assert create.values["LastName"] == "Keller"
    assert "Id" not in create.values
    assert "IsDeleted" not in create.values
    assert "BirthDate" in create.nulled
    assert set(update.values) == {"FirstName", "HasOptedOutSolicit", "Name", "LastModifiedDate"}
    assert update.nulled == ("FirstName",)
    assert delete.values == {}
    assert {t.changes[0].record_id for t in sink.transactions} == {record_id}
    assert len({t.transaction_key for t in sink.transactions}) == 4


def test_rejected_write_emits_nothing(org: Org, sink: RecordingSink) -> None:
    with pytest.raises(RecordError) as caught:
        org.create("Contact", {"FirstName": "No last name"})
    assert caught.value.items[0].code == "REQUIRED_FIELD_MISSING"
    assert sink.transactions == []


def test_unit_of_work_numbers_changes_and_rolls_back(org: Org, sink: RecordingSink) -> None:
    work = org.unit_of_work("com/salesforce/api/rest/59.0;client=lawful")
    party = work.create(org.object("Individual"), {"LastName": "Batch"})
    work.create(org.object("Contact"), {"LastName": "Batch", "IndividualId": party})
    work.commit()
    (transaction,) = sink.transactions
    assert [c.sequence_number for c in transaction.changes] == [1, 2]
    assert {c.change_origin for c in transaction.changes} == {
        "com/salesforce/api/rest/59.0;client=lawful"
    }
    assert len({c.commit_number for c in transaction.changes}) == 1
    rolled = org.unit_of_work()
    ghost = rolled.create(org.object("Individual"), {"LastName": "Ghost"})
    rolled.rollback()
    assert rolled.commit() is None
    assert org.get("Individual", ghost) is None
    assert len(sink.transactions) == 1


def test_cdc_set_is_configurable(sink: RecordingSink) -> None:
    from emulator.config import OrgConfig  # noqa: PLC0415

    narrow = Org(OrgConfig(cdc_entities=frozenset({"Contact"})))
    narrow.attach(sink=sink)
    work = narrow.unit_of_work()
    party = work.create(narrow.object("Individual"), {"LastName": "Hidden"})
    work.create(narrow.object("Contact"), {"LastName": "Shown", "IndividualId": party})
    work.commit()
    (transaction,) = sink.transactions
    assert [(c.entity, c.sequence_number) for c in transaction.changes] == [("Contact", 2)]


def _content(org: Org) -> dict[str, list[dict[str, Any]]]:
    return {
        name: sorted(
            ({k: v for k, v in r.items() if k not in SYSTEM} for r in table.values()),
            key=lambda r: str(r["Id"]),
        )
        for name, table in org.store.tables.items()
    }


def test_seeding_is_deterministic_and_batched() -> None:
    first, second, other = Org(), Org(), Org()
    sink = RecordingSink()
    first.attach(sink=sink)
    report = seed_org(first, 120, seed=7, batch_size=50)
    seed_org(second, 120, seed=7)
    seed_org(other, 120, seed=8)
    assert report["persons"] == 120
    assert first.count("Individual") == 120
    assert _content(first) == _content(second)
    assert _content(first) != _content(other)
    seeded = [t for t in sink.transactions if len(t.changes) > 1]
    assert len(seeded) == 3  # 50 + 50 + 20 persons
    assert sum(len(t.changes) for t in seeded) >= 120 * 4
    consents = list(first.store.live("ContactPointTypeConsent"))
    assert {c["PrivacyConsentStatus"] for c in consents} == {"OptIn", "OptOut"}


def test_person_account_keeps_its_person_contact_in_step(org: Org, sink: RecordingSink) -> None:
    individual = org.create("Individual", {"LastName": "Person"})
    sink.transactions.clear()
    account_id = org.create(
        "Account",
        {
            "FirstName": "Pia",
            "LastName": "Person",
            "PersonEmail": "pia@example.org",
            "PersonIndividualId": individual,
        },
    )
    account = org.get("Account", account_id)
    assert account is not None
    assert account["IsPersonAccount"] is True
    assert account["Name"] == "Pia Person"
    contact = org.get("Contact", account["PersonContactId"])
    assert contact is not None
    assert (contact["Email"], contact["IndividualId"], contact["AccountId"]) == (
        "pia@example.org",
        individual,
        account_id,
    )
    (created,) = sink.transactions
    assert [c.entity for c in created.changes] == ["Account", "Contact"]
    assert created.changes[0].values["PersonContactId"] == contact["Id"]
    org.update("Account", account_id, {"PersonEmail": "pia@new.example", "PersonDoNotCall": True})
    contact = org.get("Contact", contact["Id"])
    assert contact is not None
    assert (contact["Email"], contact["DoNotCall"]) == ("pia@new.example", True)
    org.delete("Account", account_id)
    contact = org.get("Contact", contact["Id"])
    assert contact is not None
    assert contact["IsDeleted"] is True


def test_recycle_bin_is_purged_after_15_days() -> None:
    clock = Clock()
    org = Org(clock=clock)
    kept = org.create("Individual", {"LastName": "Kept"})
    binned = org.create("Individual", {"LastName": "Binned"})
    org.delete("Individual", binned)
    clock.advance(14 * 86400)
    assert org.store.purge_recycle_bin() == 0
    assert org.get("Individual", binned) is not None
    clock.advance(2 * 86400)
    assert org.store.purge_recycle_bin() == 1
    assert org.get("Individual", binned) is None
    assert org.get("Individual", kept) is not None
    assert binned in org.store.deleted_log["Individual"]
