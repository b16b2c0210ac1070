"""Calendar arithmetic: calendar months with end-of-month clamping, ages, working days."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache

from handlers.holidays import national_holidays
from schemas.enums import Feb29Rule


def add_months_date(d: date, months: int) -> date:
    """Same day `months` later; the last day of the month when that day does not exist."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


@lru_cache(maxsize=65536)
def add_months(t: datetime, months: int) -> datetime:
    shifted = add_months_date(t.date(), months)
    return t.replace(year=shifted.year, month=shifted.month, day=shifted.day)


def birthday_in(year: int, birth: date, rule: Feb29Rule) -> date:
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1) if rule is Feb29Rule.MARCH_1 else date(year, 2, 28)
    return birth.replace(year=year)


def age_on(birth: date, on: date, rule: Feb29Rule) -> int:
    """Completed years on `on`; a person reaches age N on their Nth birthday."""
    age = on.year - birth.year
    return age if on >= birthday_in(on.year, birth, rule) else age - 1


def nth_birthday(birth: date, n: int, rule: Feb29Rule) -> date:
    return birthday_in(birth.year + n, birth, rule)


def is_working_day(d: date, jurisdiction: str, extra: frozenset[date]) -> bool:
    return d.weekday() < 5 and d not in national_holidays(jurisdiction, d.year) and d not in extra


def roll_to_working_day(d: date, jurisdiction: str, extra: frozenset[date]) -> date:
    """`d`, or the next working day when `d` is a weekend day or a public holiday."""
    while not is_working_day(d, jurisdiction, extra):
        d += timedelta(days=1)
    return d
