"""handlers.loop_guard: the write-back's own CDC changes are recognised, others are not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.loop_guard import is_own_writeback
from schemas.messages import SalesforceEvent

pytestmark = pytest.mark.unit

OURS = "com/salesforce/api/rest/62.0;client=lawful-writeback"
OTHER = "com/salesforce/api/rest/62.0;client=lawful"


def event(change_type: str, origin: str, changed: list[str], **body: Any) -> SalesforceEvent:
    header = {
        "entityName": "Individual",
        "changeType": change_type,
        "changeOrigin": origin,
        "changedFields": changed,
        "recordIds": ["0PK000000000001AAA"],
    }
    return SalesforceEvent(
        channel="/data/IndividualChangeEvent",
        replay_id=7,
        record_id="0PK000000000001AAA",
        entity="Individual",
        change_type=change_type,
        payload={"ChangeEventHeader": header, **body},
        received_at=datetime(2026, 11, 29, tzinfo=UTC),
    )


def test_update_of_computed_fields_only_is_own() -> None:
    changed = ["Lawful_Basis_Status__c", "Lawful_Valid_Until__c", "LastModifiedDate"]
    assert is_own_writeback(event("UPDATE", OURS, changed))
    # The fields decide, not only the origin: the same change from elsewhere is still inert.
    assert is_own_writeback(event("UPDATE", OTHER, changed))


def test_update_touching_an_input_field_is_not_own_even_with_our_origin() -> None:
    changed = ["Lawful_Basis_Status__c", "HasOptedOutSolicit", "LastModifiedDate"]
    assert not is_own_writeback(event("UPDATE", OURS, changed))


def test_body_keys_are_used_when_changed_fields_is_missing() -> None:
    assert is_own_writeback(event("UPDATE", OURS, [], Lawful_Last_Evaluated__c="x"))
    assert not is_own_writeback(event("UPDATE", OURS, [], Lawful_Jurisdiction__c="DE"))


def test_no_op_update_is_own_only_when_marked() -> None:
    assert is_own_writeback(event("UPDATE", OURS, ["LastModifiedDate"]))
    assert not is_own_writeback(event("UPDATE", "", ["LastModifiedDate"]))


@pytest.mark.parametrize("kind", ["CREATE", "DELETE", "UNDELETE", "GAP_UPDATE", "SNAPSHOT"])
def test_other_change_types_are_never_own(kind: str) -> None:
    assert not is_own_writeback(event(kind, OURS, ["Lawful_Basis_Status__c"]))
