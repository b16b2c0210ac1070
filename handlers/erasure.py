"""R18: erasure planning — due date, per-category ERASE/RETAIN with ground, suppression, Art. 19."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from handlers.calendar import add_months_date, roll_to_working_day
from handlers.identifiers import keyed_hash, normalise
from handlers.retention import retention_end
from handlers.zones import local_date, person_zone, zone
from schemas.config import by_jurisdiction
from schemas.enums import PHONE_CHANNELS, Basis, Category, ConsentStatus, SuppressionScope
from schemas.errors import InvalidInputError
from schemas.outputs import CategoryDecision, ErasurePlan, SuppressionPlan
from schemas.person import Person
from schemas.policy import Policy
from schemas.state import ErasureCase, PersonState

ERASE, RETAIN = "ERASE", "RETAIN"


def _calendar(policy: Policy, person: Person) -> tuple[str, frozenset[date]]:
    jurisdiction = policy.rules.controller_jurisdiction or person.jurisdiction
    return jurisdiction, frozenset(policy.rules.public_holidays.get(jurisdiction, ()))


def deadlines(
    case: ErasureCase, policy: Policy, person: Person
) -> tuple[date | None, date | None, bool, bool]:
    """(clock_start, due, extended, extension_rejected) with the ICO month rule and roll-forward."""
    rules = policy.rules
    jurisdiction, extra = _calendar(policy, person)
    tz = zone(by_jurisdiction(rules.timezones, jurisdiction, "UTC"))
    pause = by_jurisdiction(rules.erasure_clock_pause_on_verification, jurisdiction, True)
    if case.identity_requested_at is not None and pause:
        if case.identity_received_at is None:
            return None, None, False, False
        start = local_date(case.identity_received_at, tz)
    else:
        start = local_date(case.requested_at, tz)
    due = roll_to_working_day(add_months_date(start, 1), jurisdiction, extra)
    if case.extension_notice_at is None:
        return start, due, False, False
    if local_date(case.extension_notice_at, tz) > due:
        return start, due, False, True
    months = 1 + rules.erasure_extension_months
    return (
        start,
        roll_to_working_day(add_months_date(start, months), jurisdiction, extra),
        True,
        False,
    )


def all_categories(policy: Policy, person: Person) -> list[str]:
    found: dict[str, None] = dict.fromkeys(sorted(policy.rules.erase_always_categories))
    for purpose in policy.purposes.values():
        found.update(dict.fromkeys(purpose.data_categories))
    for table in (
        policy.rules.retention.get(person.jurisdiction, {}),
        policy.rules.retention.get("*", {}),
    ):
        found.update(dict.fromkeys(table))
    return list(found)


def decide_category(
    state: PersonState, policy: Policy, person: Person, category: str, at: datetime
) -> CategoryDecision:
    rules = policy.rules
    for hold in state.holds.values():
        event = hold.set_event
        if hold.active_at(at) and category in event.categories:
            return CategoryDecision(
                category=category,
                decision=RETAIN,
                ground="Art. 17(3)(e) legal claims",
                legal_ref=event.claim_ref,
                retain_until=event.until,
            )
    if category in rules.erase_always_categories:
        return CategoryDecision(category=category, decision=ERASE, ground="Art. 17(1)")
    rule = rules.retention.get(person.jurisdiction, {}).get(category) or rules.retention.get(
        "*", {}
    ).get(category)
    if rule is not None:
        channels = rule.channels
        uses = [  # consent grants and each use (a call), UWG §7a
            r.occurred_at
            for h in state.consents.values()
            for r in h
            if r.status is ConsentStatus.OPT_IN and (channels is None or r.channel in channels)
        ]
        if channels is None or channels & PHONE_CHANNELS:
            uses += [c.occurred_at for c in state.calls]
        applies, until = retention_end(rule, person, uses, tz=person_zone(person, rules))
        if applies and (until is None or at < until):
            return CategoryDecision(
                category=category,
                decision=RETAIN,
                ground="Art. 17(3)(b) legal obligation",
                legal_ref=rules.legal_retention_categories.get(category),
                retain_until=until,
            )
    grace = timedelta(days=rules.contract_grace_days)
    for purpose in policy.purposes.values():
        if purpose.basis is not Basis.CONTRACT or category not in purpose.data_categories:
            continue
        for contract in person.contracts:
            family_ok = purpose.product_family in (None, contract.product_family)
            if (
                family_ok
                and contract.start <= at
                and (contract.end is None or at < contract.end + grace)
            ):
                until = None if contract.end is None else contract.end + grace
                return CategoryDecision(
                    category=category,
                    decision=RETAIN,
                    ground=f"Still necessary for contract {contract.id}",
                    legal_ref="Art. 6(1)(b); Art. 17(1)(a) not met",
                    retain_until=until,
                )
    return CategoryDecision(category=category, decision=ERASE, ground="Art. 17(1)")


def suppression_plan(
    person: Person, hash_key: bytes | None
) -> tuple[SuppressionPlan | None, str | None]:
    if hash_key is None:
        return None, "no hashing key configured: suppression hashes not computed"
    hashes = sorted(
        keyed_hash(hash_key, cp.kind, normalise(cp.kind, cp.value, person.jurisdiction))
        for cp in person.contact_points
        if cp.value
    )
    return SuppressionPlan(
        scope=SuppressionScope.DM_ALL, identifier_hashes=tuple(hashes), reason="ERASURE"
    ), None


def plan_erasure(
    state: PersonState, policy: Policy, request_id: str, at: datetime, hash_key: bytes | None
) -> ErasurePlan:
    person = state.person
    case = state.erasures.get(request_id)
    if person is None or case is None:
        raise InvalidInputError("request_id", f"unknown erasure request {request_id!r}")
    start, due, extended, rejected = deadlines(case, policy, person)
    executed = case.executed_at is not None and case.executed_at <= at
    status = "EXECUTED" if executed else ("AWAITING_IDENTITY" if start is None else "OPEN")
    categories = tuple(
        decide_category(state, policy, person, c, at) for c in all_categories(policy, person)
    )
    suppression, warning = suppression_plan(person, hash_key)
    marketing = tuple(p.id for p in policy.purposes.values() if p.category is Category.MARKETING)
    return ErasurePlan(
        request_id=request_id,
        individual_id=person.individual_id,
        received_at=case.requested_at,
        status=status,
        clock_start=start,
        due=due,
        extended=extended,
        extension_rejected=rejected,
        overdue_from=None if due is None or executed else due + timedelta(days=1),
        categories=categories,
        suppression=suppression,
        recipients_to_notify=tuple(r.id for r in person.recipients),
        marketing_purposes_blocked=marketing,
        warnings=(warning,) if warning else (),
    )
