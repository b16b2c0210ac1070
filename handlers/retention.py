"""When a legal retention period ends (R10), from its trigger; half-open `retain_until`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from handlers.calendar import add_months
from schemas.enums import RetentionTrigger
from schemas.person import Person
from schemas.purpose import RetentionRule

_CONTRACT_TRIGGERS = (RetentionTrigger.CONTRACT_END, RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END)


def retention_end(
    rule: RetentionRule, person: Person, consent_uses: Iterable[datetime]
) -> tuple[bool, datetime | None]:
    """(applies, retain_until). retain_until None with applies=True: the clock has not started."""
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
    if rule.trigger is RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END:
        start = start.replace(year=start.year + 1, month=1, day=1, hour=0, minute=0, second=0)
        start = start.replace(microsecond=0)
    return True, add_months(start, rule.months)
