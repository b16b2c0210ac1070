"""Built-in national public-holiday calendars (England & Wales, France, Germany-national).

Computed from rules (Easter computus and fixed dates), so they cover every year; extra dates
(e.g. a one-off bank holiday) come from the `public_holidays` configuration key.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _substitute(days: list[date]) -> list[date]:
    """UK rule: a holiday on a weekend moves to the next weekday not already a holiday."""
    result: list[date] = []
    for d in days:
        moved = d
        while moved.weekday() >= 5 or moved in result:
            moved += timedelta(days=1)
        result.append(moved)
    return result


def _england(year: int) -> set[date]:
    easter = easter_sunday(year)
    fixed = _substitute([date(year, 1, 1)]) + _substitute([date(year, 12, 25), date(year, 12, 26)])
    return {
        *fixed,
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _first_weekday(year, 5, 0),
        _last_weekday(year, 5, 0),
        _last_weekday(year, 8, 0),
    }


def _france(year: int) -> set[date]:
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + timedelta(days=n) for n in (1, 39, 50)]
    return {date(year, m, d) for m, d in fixed} | set(moving)


def _germany(year: int) -> set[date]:
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)]
    moving = [easter + timedelta(days=n) for n in (-2, 1, 39, 50)]
    return {date(year, m, d) for m, d in fixed} | set(moving)


_CALENDARS = {"UK": _england, "FR": _france, "DE": _germany}


@lru_cache(maxsize=256)
def national_holidays(jurisdiction: str, year: int) -> frozenset[date]:
    """Public holidays for a jurisdiction; empty for one without a built-in calendar."""
    builder = _CALENDARS.get(jurisdiction)
    return frozenset(builder(year)) if builder else frozenset()


def has_calendar(jurisdiction: str) -> bool:
    return jurisdiction in _CALENDARS
