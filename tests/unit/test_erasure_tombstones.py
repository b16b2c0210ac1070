"""Tombstone chain: sealing, verification and tamper detection (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.tombstone_chain import GENESIS, first_break, seal

pytestmark = pytest.mark.unit


def entry(sequence: int, prev: str, request_id: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "sequence": sequence,
        "prev_hash": prev,
        "request_id": request_id,
        "individual_id": "0PK000000000001",
        "received_at": datetime(2026, 1, 1, tzinfo=UTC),
        "executed_at": datetime(2026, 1, 2, tzinfo=UTC),
        "policy_version": "1",
        "objects": [{"sobject": "Contact", "deleted_ids": ["0031"], "deleted": 1}],
        "categories": [{"category": "CONTACT_DATA", "decision": "ERASED"}],
        "identifier_hashes": ["ab" * 32],
        "actor": "test",
        "service": "lawful-erasure",
    }
    return seal(fields).model_dump(mode="json")


def chain(n: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    for i in range(n):
        entries.append(entry(i, prev, f"er-{i}"))
        prev = entries[-1]["hash"]
    return entries


def test_intact_chain_verifies() -> None:
    assert first_break(chain(4)) is None


def test_modified_entry_is_detected_at_its_position() -> None:
    entries = chain(4)
    entries[2]["objects"][0]["deleted"] = 0
    assert first_break(entries) == (2, "hash does not match the entry's content (modified)")


def test_removed_or_reordered_entries_are_detected() -> None:
    entries = chain(4)
    del entries[1]
    problem = first_break(entries)
    assert problem is not None
    assert problem[0] == 1


def test_rehashed_entry_breaks_the_next_link() -> None:
    entries = chain(3)
    forged = dict(entries[1], request_id="er-forged")
    forged = seal({k: v for k, v in forged.items() if k != "hash"}).model_dump(mode="json")
    entries[1] = forged
    assert first_break(entries) == (2, "prev_hash does not match the previous entry's hash")
