"""Snapshot builders shared by the projection and API tests, and the index entries they give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import PermissionCell, PermissionsSnapshot, PurposeInfo
from workers.projection.keys import Keys, index_entries

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PURPOSES = (
    PurposeInfo(purpose_id="pet-insurance", category="MARKETING", parent_id="insurance"),
    PurposeInfo(purpose_id="car-insurance", category="MARKETING", parent_id="insurance"),
    PurposeInfo(purpose_id="billing", category="NON_MARKETING"),
)


def cell(
    purpose: str,
    channel: Channel | None,
    *,
    permitted: bool = True,
    reason: Reason = Reason.CONSENT_ACTIVE,
    basis: Basis | None = Basis.CONSENT,
    valid_until: datetime | None = None,
) -> PermissionCell:
    return PermissionCell(
        purpose_id=purpose,
        channel=channel,
        permitted=permitted,
        reason=reason,
        rule="R5",
        row="consent",
        effective_basis=basis,
        valid_until=valid_until,
    )


def snapshot(
    individual_id: str,
    *cells: PermissionCell,
    at: datetime = NOW,
    brand: str | None = "acme",
    jurisdiction: str | None = "DE",
    org_id: str | None = "00D000000000001",
) -> PermissionsSnapshot:
    return PermissionsSnapshot(
        individual_id=individual_id,
        org_id=org_id,
        brand=brand,
        jurisdiction=jurisdiction,
        evaluated_at=at,
        purposes=PURPOSES,
        cells=cells,
    )


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


pytestmark = pytest.mark.component


def test_index_entries_cover_category_parent_and_any_scope() -> None:
    keys = Keys("x:")
    entries = index_entries(keys, snapshot("a", cell("pet-insurance", Channel.EMAIL)))
    scopes = {key.split("r:", 1)[1] for key, _ in entries.registries}
    assert scopes == {
        f"{p}|{c}" for p in ("pet-insurance", "insurance", "MARKETING", "*") for c in ("EMAIL", "*")
    }
    assert keys.attribute("brand", "acme") in entries.sets
