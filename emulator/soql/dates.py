"""Relative date literals (TODAY, LAST_N_DAYS:n, ...) as half-open UTC day ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from emulator.soql.nodes import DateLiteral


def _month_start(day: date, shift: int) -> date:
    month_index = day.year * 12 + day.month - 1 + shift
    return date(month_index // 12, month_index % 12 + 1, 1)


def date_range(literal: DateLiteral, now: datetime) -> tuple[date, date]:
    """[start, end) in days, UTC."""
    today = now.astimezone(UTC).date()
    day = timedelta(days=1)
    n = literal.n or 0
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    simple = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (_month_start(today, 0), _month_start(today, 1)),
        "LAST_MONTH": (_month_start(today, -1), _month_start(today, 0)),
        "NEXT_MONTH": (_month_start(today, 1), _month_start(today, 2)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "THIS_YEAR": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
        "LAST_N_DAYS": (today - n * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        "N_DAYS_AGO": (today - n * day, today - (n - 1) * day),
        "LAST_N_MONTHS": (_month_start(today, -n), _month_start(today, 0)),
        "NEXT_N_MONTHS": (_month_start(today, 1), _month_start(today, n + 1)),
        "N_MONTHS_AGO": (_month_start(today, -n), _month_start(today, -n + 1)),
    }
    return simple[literal.name]


def as_stored(day: date, kind: str) -> str:
    """A day boundary in the store's text form for a `date` or `datetime` field."""
    if kind == "date":
        return day.isoformat()
    return day.isoformat() + "T00:00:00.000+0000"
