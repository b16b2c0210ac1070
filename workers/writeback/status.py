"""The Individual fields lawful writes from a `PermissionsSnapshot` (salesforce/README.md).

`Lawful_Basis_Status__c` is a compact JSON summary (one entry per cell: purpose, channel,
permitted, reason, basis, valid until), without the evaluation instant, so two snapshots with the
same permissions produce the same text and the write-back can skip the second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.messages import PermissionsSnapshot

STATUS_FIELD = "Lawful_Basis_Status__c"
VALID_UNTIL_FIELD = "Lawful_Valid_Until__c"
EVALUATED_FIELD = "Lawful_Last_Evaluated__c"
STATUS_MAX_CHARS = 131_072  # the field's length in salesforce/force-app


def salesforce_datetime(moment: datetime | None) -> str | None:
    """REST DateTime value: `2026-11-29T10:00:00.000Z` (UTC, milliseconds)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond // 1000:03d}Z"


def status_summary(snapshot: PermissionsSnapshot) -> str:
    """The JSON text of `Lawful_Basis_Status__c` (cells sorted; stable for equal states)."""
    cells = sorted(
        (
            {
                "p": cell.purpose_id,
                "c": cell.channel.value if cell.channel else None,
                "ok": cell.permitted,
                "r": cell.reason.value,
                "b": cell.effective_basis.value if cell.effective_basis else None,
                "u": salesforce_datetime(cell.valid_until),
            }
            for cell in snapshot.cells
        ),
        key=lambda cell: (str(cell["p"]), str(cell["c"] or "")),
    )
    document: dict[str, Any] = {"v": 1, "erased": snapshot.erased, "cells": cells}
    text = orjson.dumps(document).decode()
    if len(text) > STATUS_MAX_CHARS:  # keep the permitted cells; a reader can ask the API
        document["cells"] = [cell for cell in cells if cell["ok"]]
        document["truncated"] = True
        text = orjson.dumps(document).decode()
    if len(text) > STATUS_MAX_CHARS:  # still too long: counts only (always valid JSON)
        document["cells"] = []
        document["permitted"] = sum(1 for cell in cells if cell["ok"])
        text = orjson.dumps(document).decode()
    return text


def valid_until(snapshot: PermissionsSnapshot) -> datetime | None:
    """When this status may next change by itself: the horizon, else the earliest expiry."""
    if snapshot.next_horizon is not None:
        return snapshot.next_horizon
    expiries = [c.valid_until for c in snapshot.cells if c.permitted and c.valid_until]
    return min(expiries) if expiries else None


def status_fields(snapshot: PermissionsSnapshot) -> dict[str, Any]:
    """The update for one Individual (Id included), ready for sObject Collections."""
    return {
        "Id": snapshot.individual_id,
        STATUS_FIELD: status_summary(snapshot),
        VALID_UNTIL_FIELD: salesforce_datetime(valid_until(snapshot)),
        EVALUATED_FIELD: salesforce_datetime(snapshot.evaluated_at),
    }


def change_key(fields: dict[str, Any]) -> int:
    """What decides whether a write is needed (the evaluation instant alone is not enough)."""
    return hash((fields[STATUS_FIELD], fields[VALID_UNTIL_FIELD]))
