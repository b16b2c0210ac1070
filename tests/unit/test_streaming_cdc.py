"""Change-event planning and shapes (CometD JSON rules of the reference §3)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.changes import ChangeType, RecordChange, Transaction
from emulator.streaming.cdc import (
    EMPTY_RECORD_ID,
    change_event_channel,
    change_payload,
    plan_change_events,
)

pytestmark = pytest.mark.unit

HEADER_KEYS = {
    "entityName",
    "recordIds",
    "changeType",
    "changeOrigin",
    "transactionKey",
    "sequenceNumber",
    "commitTimestamp",
    "commitNumber",
    "commitUser",
    "changedFields",
}


def make_change(
    kind: ChangeType,
    record_id: str,
    values: dict[str, Any] | None = None,
    nulled: tuple[str, ...] = (),
    *,
    entity: str = "Contact",
    seq: int = 1,
) -> RecordChange:
    return RecordChange(
        entity=entity,
        change_type=kind,
        record_id=record_id,
        values=values or {},
        nulled=nulled,
        transaction_key="0000d978-0333-d593-c68b-98759eaddd49",
        commit_timestamp_ms=1_721_136_550_000,
        commit_number=1_721_136_551_405_445_123,
        commit_user="0055g00000B7cRzAAJ",
        change_origin="com/salesforce/api/rest/59.0;client=lawful",
        sequence_number=seq,
    )


def test_create_groups_compound_fields_and_drops_nulls_and_system_fields() -> None:
    change = make_change(
        "CREATE",
        "0035g00000XyZ1aAAF",
        {
            "FirstName": "Maria",
            "LastName": "Keller",
            "Name": "Maria Keller",
            "MailingStreet": "Hauptstrasse 12",
            "MailingCity": "Berlin",
            "Email": "maria@example.org",
            "Phone": None,
            "IsDeleted": False,
            "SystemModstamp": "2024-07-16T13:29:10.000+0000",
            "CreatedDate": "2024-07-16T13:29:10.000+0000",
        },
    )
    payload = change_payload(change, [change.record_id])
    header = payload.pop("ChangeEventHeader")
    assert set(header) == HEADER_KEYS
    assert header["changeType"] == "CREATE"
    assert header["changedFields"] == []
    assert header["recordIds"] == ["0035g00000XyZ1aAAF"]
    assert header["commitNumber"] == 1_721_136_551_405_445_123
    assert payload == {
        "Name": {"FirstName": "Maria", "LastName": "Keller"},
        "MailingAddress": {"Street": "Hauptstrasse 12", "City": "Berlin"},
        "Email": "maria@example.org",
        "CreatedDate": "2024-07-16T13:29:10.000Z",
    }


def test_update_sends_changed_and_nulled_fields_with_compound_paths() -> None:
    change = make_change(
        "UPDATE",
        "0035g00000XyZ1aAAF",
        {"LastName": "Keller-Braun", "MailingCity": "Hamburg", "LastModifiedDate": "x"},
        ("Email",),
    )
    payload = change_payload(change, [change.record_id])
    header = payload.pop("ChangeEventHeader")
    assert header["changedFields"] == [
        "Name.LastName",
        "MailingAddress.City",
        "LastModifiedDate",
        "Email",
    ]
    assert "nulledFields" not in header
    assert "diffFields" not in header
    assert payload == {
        "Name": {"LastName": "Keller-Braun"},
        "MailingAddress": {"City": "Hamburg"},
        "LastModifiedDate": "x",
        "Email": None,
    }


@pytest.mark.parametrize("kind", ["DELETE", "GAP_UPDATE", "GAP_OVERFLOW"])
def test_header_only_change_types(kind: ChangeType) -> None:
    change = make_change(kind, "0035g00000XyZ1aAAF", {"Email": "ignored@example.org"})
    payload = change_payload(change, [change.record_id])
    assert list(payload) == ["ChangeEventHeader"]
    assert payload["ChangeEventHeader"]["changedFields"] == []


def test_identical_changes_in_one_transaction_merge_into_one_event() -> None:
    transaction = Transaction(
        "tx",
        (
            make_change("UPDATE", "003A", {"HasOptedOutOfEmail": True}, seq=1),
            make_change("UPDATE", "003B", {"HasOptedOutOfEmail": True}, seq=2),
            make_change("UPDATE", "003C", {"HasOptedOutOfEmail": False}, seq=3),
            make_change("DELETE", "003D", seq=4),
            make_change("DELETE", "003E", seq=5),
        ),
    )
    events = plan_change_events(transaction, {"Contact"}, merge=True, overflow_threshold=100)
    assert [(e.change.change_type, e.record_ids) for e in events] == [
        ("UPDATE", ["003A", "003B"]),
        ("UPDATE", ["003C"]),
        ("DELETE", ["003D", "003E"]),
    ]
    unmerged = plan_change_events(transaction, {"Contact"}, merge=False, overflow_threshold=100)
    assert len(unmerged) == 5


def test_unselected_entities_leave_sequence_holes() -> None:
    transaction = Transaction(
        "tx",
        (
            make_change("CREATE", "001A", {"Name": "Acme"}, entity="Account", seq=1),
            make_change("CREATE", "003A", {"LastName": "X"}, seq=2),
        ),
    )
    events = plan_change_events(transaction, {"Contact"}, merge=True, overflow_threshold=100)
    assert [e.change.sequence_number for e in events] == [2]


def test_changes_beyond_the_threshold_become_one_overflow_event_per_entity() -> None:
    changes = [make_change("CREATE", f"003{i}", {"LastName": str(i)}, seq=i) for i in range(5)]
    changes += [make_change("CREATE", "0PK1", {"LastName": "I"}, entity="Individual", seq=6)]
    changes += [make_change("UPDATE", "003X", {"Email": "a", "Phone": "b"}, seq=7)]
    transaction = Transaction("tx", tuple(changes))
    events = plan_change_events(
        transaction, {"Contact", "Individual"}, merge=True, overflow_threshold=3
    )
    kinds = [(e.change.entity, e.change.change_type, e.record_ids) for e in events]
    assert kinds == [
        ("Contact", "CREATE", ["0030"]),
        ("Contact", "CREATE", ["0031"]),
        ("Contact", "CREATE", ["0032"]),
        ("Contact", "GAP_OVERFLOW", [EMPTY_RECORD_ID]),
        ("Individual", "GAP_OVERFLOW", [EMPTY_RECORD_ID]),
    ]
    overflow = events[3].render(42)["payload"]
    assert list(overflow) == ["ChangeEventHeader"]
    assert overflow["ChangeEventHeader"]["recordIds"] == [EMPTY_RECORD_ID]


def test_update_counts_once_per_changed_field_towards_overflow() -> None:
    update = make_change("UPDATE", "003A", {"A": 1, "B": 2, "C": 3})
    events = plan_change_events(
        Transaction("tx", (update,)), {"Contact"}, merge=True, overflow_threshold=2
    )
    assert [e.change.change_type for e in events] == ["GAP_OVERFLOW"]


def test_channel_names() -> None:
    assert change_event_channel("Contact") == "/data/ContactChangeEvent"
    assert change_event_channel("Consent_Record__c") == "/data/Consent_Record__ChangeEvent"


def test_rendered_event_has_schema_and_replay_id() -> None:
    change = make_change("CREATE", "003A", {"LastName": "X"})
    (event,) = plan_change_events(
        Transaction("tx", (change,)), {"Contact"}, merge=True, overflow_threshold=10
    )
    data = event.render(18734522)
    assert data["event"] == {"replayId": 18734522}
    assert isinstance(data["schema"], str)
    assert len(data["schema"]) == 22


def test_oversized_change_becomes_a_gap_event() -> None:
    big = make_change("UPDATE", "003A", {"Description": "x" * 50, "Email": "a@b.c"})
    small = make_change("UPDATE", "003B", {"Email": "a@b.c"}, seq=2)
    events = plan_change_events(
        Transaction("tx", (big, small)),
        {"Contact"},
        merge=True,
        overflow_threshold=100,
        max_event_chars=20,
    )
    payloads = [event.render(1)["payload"] for event in events]
    assert [
        (p["ChangeEventHeader"]["changeType"], p["ChangeEventHeader"]["recordIds"])
        for p in payloads
    ] == [
        ("GAP_UPDATE", ["003A"]),
        ("UPDATE", ["003B"]),
    ]
    assert list(payloads[0]) == ["ChangeEventHeader"]
