"""The Individual fields computed from a PermissionsSnapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import PermissionCell, PermissionsSnapshot
from workers.writeback.status import (
    STATUS_MAX_CHARS,
    change_key,
    salesforce_datetime,
    status_fields,
    status_summary,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)


def cell(purpose: str, *, permitted: bool, until: datetime | None = None) -> PermissionCell:
    return PermissionCell(
        purpose_id=purpose,
        channel=Channel.EMAIL,
        permitted=permitted,
        reason=Reason.CONSENT_ACTIVE if permitted else Reason.CHANNEL_OPT_OUT,
        rule="R6",
        row=None,
        effective_basis=Basis.CONSENT if permitted else None,
        valid_until=until,
    )


def snapshot(
    *cells: PermissionCell, at: datetime = T0, horizon: datetime | None = None
) -> PermissionsSnapshot:
    return PermissionsSnapshot(
        individual_id="0PK000000000001AAA",
        evaluated_at=at,
        purposes=(),
        cells=cells,
        next_horizon=horizon,
    )


def test_salesforce_datetime_is_utc_with_milliseconds() -> None:
    assert salesforce_datetime(T0) == "2026-11-29T12:00:00.123Z"
    assert salesforce_datetime(None) is None


def test_fields_use_the_horizon_else_the_earliest_permitted_expiry() -> None:
    soon, later = T0 + timedelta(days=3), T0 + timedelta(days=9)
    fields = status_fields(
        snapshot(cell("a", permitted=True, until=later), cell("b", permitted=True, until=soon))
    )
    assert fields["Lawful_Valid_Until__c"] == salesforce_datetime(soon)
    assert fields["Lawful_Last_Evaluated__c"] == "2026-11-29T12:00:00.123Z"
    with_horizon = status_fields(snapshot(cell("a", permitted=True, until=later), horizon=soon))
    assert with_horizon["Lawful_Valid_Until__c"] == salesforce_datetime(soon)


def test_same_permissions_at_another_instant_need_no_write() -> None:
    first = status_fields(snapshot(cell("b", permitted=False), cell("a", permitted=True)))
    again = status_fields(
        snapshot(cell("a", permitted=True), cell("b", permitted=False), at=T0 + timedelta(hours=1))
    )
    assert change_key(first) == change_key(again)
    changed = status_fields(snapshot(cell("a", permitted=False), cell("b", permitted=False)))
    assert change_key(changed) != change_key(first)


def test_a_huge_matrix_keeps_the_permitted_cells_within_the_field_length() -> None:
    cells = [cell(f"purpose-{i:05d}", permitted=i % 10 == 0) for i in range(3000)]
    text = status_summary(snapshot(*cells))
    assert len(text) <= STATUS_MAX_CHARS
    document = json.loads(text)
    assert document["truncated"] is True
    assert all(entry["ok"] for entry in document["cells"])
    assert len(document["cells"]) == 300


def test_too_many_permitted_cells_leave_valid_json_with_counts() -> None:
    cells = [cell(f"purpose-{i:05d}", permitted=True) for i in range(3000)]
    document = json.loads(status_summary(snapshot(*cells)))
    assert (document["cells"], document["permitted"], document["truncated"]) == ([], 3000, True)
