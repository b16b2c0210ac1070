"""Field values as CometD JSON carries them (ISO `Z` datetimes, plain numbers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

# Fields a change event never carries (derived or system-only).
NEVER_SENT = frozenset(
    {
        "Id",
        "IsDeleted",
        "SystemModstamp",
        "LastActivityDate",
        "PhotoUrl",
        "LastViewedDate",
        "LastReferencedDate",
        "attributes",
    }
)


def iso_z(moment: dt.datetime) -> str:
    """`2024-07-16T13:29:10.000Z` for an aware datetime."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_z_from_epoch(seconds: float) -> str:
    return iso_z(dt.datetime.fromtimestamp(seconds, tz=dt.UTC))


def wire_value(value: Any) -> Any:
    """Convert one store value to its CometD JSON form."""
    if isinstance(value, str):
        # REST-style `...000+0000` datetimes become CometD's `...000Z`.
        if len(value) == 28 and value[10] == "T" and value.endswith("+0000"):
            return value[:-5] + "Z"
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return iso_z(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [wire_value(item) for item in value]
    if isinstance(value, dict):
        return {key: wire_value(item) for key, item in value.items()}
    return str(value)
