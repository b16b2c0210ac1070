"""Time zones per jurisdiction (pure: zone data comes from the tzdata package)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from schemas.config import RulesConfig, by_jurisdiction
from schemas.person import Person


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def person_zone(person: Person, rules: RulesConfig) -> ZoneInfo:
    name = person.timezone or by_jurisdiction(rules.timezones, person.jurisdiction, "UTC")
    return zone(name)


def local_date(t: datetime, tz: ZoneInfo) -> date:
    return t.astimezone(tz).date()
