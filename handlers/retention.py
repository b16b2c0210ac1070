"""When a legal retention period ends (R10), from its trigger; half-open `retain_until`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from handlers.calendar import add_months
from schemas.enums import RetentionTrigger
from schemas.person import Person
from schemas.purpose import RetentionRule

_CONTRACT_TRIGGERS = (RetentionTrigger.CONTRACT_END, RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END)


def retention_end(
    rule: RetentionRule, person: Person, consent_uses: Iterable[datetime], *, tz: tzinfo
) -> tuple[bool, datetime | None]:
    """(applies, retain_until). retain_until None with applies=True: the clock has not started.

    Counted in local calendar days (§7.0): from 00:00 local on the trigger's date, or on 1 January
    after it for END_OF_YEAR_OF_CONTRACT_END ("through 2034-12-31" -> 2035-01-01 00:00 local).
    """
    if rule.trigger in _CONTRACT_TRIGGERS:
        if not person.contracts:
            return False, None
        if any(c.end is None for c in person.contracts):
            return True, None
        start = max(c.end for c in person.contracts if c.end is not None)
    elif rule.trigger is RetentionTrigger.LAST_PURCHASE:
        if not person.purchases:
            return False, None
        start = max(p.at for p in person.purchases)
    else:
        uses = list(consent_uses)
        if not uses:
            return False, None
        start = max(uses)
    local = start.astimezone(tz)
    if rule.trigger is RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END:
        anchor = datetime(local.year + 1, 1, 1, tzinfo=tz)
    else:
        anchor = datetime(local.year, local.month, local.day, tzinfo=tz)
    return True, add_months(anchor, rule.months)
