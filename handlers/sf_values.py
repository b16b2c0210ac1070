"""Salesforce field values -> engine values: instants, picklists, multi-selects, booleans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from schemas.errors import InvalidInputError

E = TypeVar("E", bound=StrEnum)


@lru_cache(maxsize=65536)
def _parse_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # a Date field (YYYY-MM-DD): midnight UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def instant(fields: dict[str, Any], name: str) -> datetime | None:
    """A DateTime (ISO `Z`, REST `+0000`) or Date field as an aware datetime; None when empty."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)  # epoch ms (Pub/Sub style)
    if not isinstance(value, str):
        raise InvalidInputError(name, f"not a date/time: {type(value).__name__}")
    try:
        return _parse_instant(value)
    except ValueError:
        raise InvalidInputError(name, f"not a date/time: {value[:40]!r}") from None


def day(fields: dict[str, Any], name: str) -> date | None:
    moment = instant(fields, name)
    return moment.date() if moment is not None else None


def text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def flag(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def number(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise InvalidInputError(name, f"not a number: {value!r}") from None


def multi(fields: dict[str, Any], name: str) -> tuple[str, ...]:
    """A multi-select picklist (`A;B`) or `;`/`,`-separated text as a tuple."""
    value = text(fields, name)
    if value is None:
        return ()
    return tuple(part.strip() for part in value.replace(",", ";").split(";") if part.strip())


def picklist(
    fields: dict[str, Any], name: str, enum: type[E], table: dict[str, E] | None = None
) -> E | None:
    """A picklist value mapped to an engine enum; an unknown value names the field."""
    value = text(fields, name)
    if value is None:
        return None
    if table is not None and value in table:
        return table[value]
    member = enum._value2member_map_.get(value)  # what `enum(value)` looks up first
    if member is not None:
        return member  # type: ignore[return-value]  # a member of `enum`
    try:
        return enum(value)
    except ValueError:
        raise InvalidInputError(name, f"unknown value {value[:60]!r}") from None


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@lru_cache(maxsize=65536)
def stamp(moment: datetime | None) -> str:
    """A compact, sortable UTC rendering used inside event ids."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
