"""Permission cells of one person: recompute (all or only the affected), diff, next wake-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from handlers.calendar import nth_birthday
from handlers.erasure import deadlines
from handlers.evaluate import channels_for, evaluate_purpose
from handlers.fast_models import construct
from handlers.zones import zone
from schemas.config import by_jurisdiction
from schemas.enums import Channel
from schemas.fast_json import share
from schemas.messages import PermissionCell
from schemas.outputs import Decision
from schemas.person import Person
from schemas.policy import Policy
from schemas.state import PersonState, consent_key


def to_cell(d: Decision) -> PermissionCell:
    """The cell of a decision; one shared cell per distinct decision without a horizon."""
    if d.valid_until is not None:
        return _new_cell(d)
    key = (
        d.purpose_id,
        d.channel,
        d.permitted,
        d.reason,
        d.rule,
        d.row,
        d.effective_basis,
        d.secondary_reasons,
    )
    cell = _interned.get(key)
    if cell is None:
        if len(_interned) >= INTERNED_CELLS:
            _interned.clear()
        cell = _interned[key] = _new_cell(d)
        share(cell)
    return cell


INTERNED_CELLS = 2048  # distinct decisions kept (all forgotten when one more comes)
_interned: dict[tuple[object, ...], PermissionCell] = {}


def _new_cell(d: Decision) -> PermissionCell:
    return construct(
        PermissionCell,
        {
            "purpose_id": d.purpose_id,
            "channel": d.channel,
            "permitted": d.permitted,
            "reason": d.reason,
            "rule": d.rule,
            "row": d.row,
            "effective_basis": d.effective_basis,
            "valid_until": d.valid_until,
            "secondary_reasons": d.secondary_reasons,
        },
    )


def same_decision(cell: PermissionCell, d: Decision) -> bool:
    return (
        cell.permitted == d.permitted
        and cell.reason == d.reason
        and cell.rule == d.rule
        and cell.row == d.row
        and cell.effective_basis == d.effective_basis
        and cell.valid_until == d.valid_until
        and tuple(cell.secondary_reasons) == d.secondary_reasons
    )


def changed_cells(
    state: PersonState,
    policy: Policy,
    t: datetime,
    cells: dict[str, PermissionCell],
    *,
    purpose_ids: Iterable[str] | None = None,
    channels: frozenset[Channel] | None = None,
) -> tuple[dict[str, PermissionCell], set[str]]:
    """Re-evaluate the purposes (None: all) x channels (None: all) at `t`: the cells that
    differ from `cells` (keyed `purpose|channel`), and every key evaluated."""
    changed: dict[str, PermissionCell] = {}
    seen: set[str] = set()
    if state.person is None:
        return changed, seen
    for purpose_id in policy.purposes if purpose_ids is None else purpose_ids:
        if purpose_id not in policy.purposes:
            continue
        row = channels_for(policy, purpose_id)
        if channels is not None:
            row = tuple(c for c in row if c in channels)
            if not row:
                continue
        for decision in evaluate_purpose(state, policy, purpose_id, row, t):
            key = consent_key(purpose_id, decision.channel)
            seen.add(key)
            old = cells.get(key)
            if old is None or not same_decision(old, decision):
                changed[key] = to_cell(decision)
    return changed, seen


@lru_cache(maxsize=64)
def _leads(days: tuple[int, ...]) -> tuple[timedelta, ...]:
    return (timedelta(0), *(timedelta(days=d) for d in days))


@lru_cache(maxsize=64)
def _longest_lead(days: tuple[int, ...]) -> timedelta:
    return max(_leads(days))


@lru_cache(maxsize=16)
def _policy_leads(policy: Policy) -> tuple[tuple[timedelta, ...], timedelta]:
    """The policy's alert leads and the longest of them (once per catalogue)."""
    days = tuple(policy.rules.alert_lead_days)
    return _leads(days), _longest_lead(days)


def _coming_of_age(person: Person, policy: Policy) -> datetime | None:
    """When a minor reaches the digital-consent age (RECONFIRMATION_DUE), in their zone."""
    if person.birth_date is None:
        return None
    return _birthday_instant(person.birth_date, person.jurisdiction, person.timezone, policy)


@lru_cache(maxsize=65536)
def _birthday_instant(
    birth: date, jurisdiction: str, timezone: str | None, policy: Policy
) -> datetime:
    rules = policy.rules
    threshold = by_jurisdiction(rules.digital_consent_age, jurisdiction, 16)
    birthday = nth_birthday(birth, threshold, rules.feb29_birthday_rule)
    tz = zone(timezone or by_jurisdiction(rules.timezones, jurisdiction, "UTC"))
    return datetime.combine(birthday, time(), tz)


def _erasure_instants(state: PersonState, policy: Policy, person: Person) -> Iterator[datetime]:
    jurisdiction = policy.rules.controller_jurisdiction or person.jurisdiction
    tz = zone(by_jurisdiction(policy.rules.timezones, jurisdiction, "UTC"))
    for case in state.erasures.values():
        if case.executed_at is not None:
            continue
        _, due, _, _ = deadlines(case, policy, person)
        if due is not None:
            warn = due - timedelta(days=policy.rules.erasure_alert_days)
            yield datetime.combine(warn, time(), tz)
            yield datetime.combine(due + timedelta(days=1), time(), tz)


def wakeup_candidates(
    state: PersonState, cells: Iterable[PermissionCell], policy: Policy
) -> tuple[list[datetime], list[datetime]]:
    """(alert instants, cell-change instants) that need no new event: each horizon
    (valid_until, EffectiveTo) and its alert leads, erasure deadlines and a minor's coming of
    age are alert instants; EffectiveFrom only changes cells."""
    leads = _policy_leads(policy)[0]
    horizons = {cell.valid_until for cell in cells}
    starts: list[datetime] = []
    for history in state.consents.values():
        for record in history:
            if record.effective_to is not None:
                horizons.add(record.effective_to)
            if record.effective_from is not None:
                starts.append(record.effective_from)
    horizons.discard(None)
    alerts = [until - lead for until in horizons if until is not None for lead in leads]
    person = state.person
    if person is not None:
        if state.erasures:
            alerts.extend(_erasure_instants(state, policy, person))
        coming_of_age = _coming_of_age(person, policy)
        if coming_of_age is not None:
            alerts.append(coming_of_age)
    return alerts, starts


def next_wakeup(
    state: PersonState,
    cells: Iterable[PermissionCell],
    policy: Policy,
    now: datetime,
    last_tick: datetime | None,
    *,
    previous: Iterable[PermissionCell] = (),
) -> datetime | None:
    """The earliest candidate after `now`; `now` itself when an alert is to be caught up on
    (`alerts_due` runs only on a tick): an alert instant fell due since the last tick, or a
    new horizon (not in `previous` cells) is already within its longest alert lead."""
    alerts, changes = wakeup_candidates(state, cells, policy)
    since = last_tick if last_tick is not None else now
    later: datetime | None = None
    for moment in alerts:
        if moment > now:
            if later is None or moment < later:
                later = moment
        elif moment > since:
            return now
    latest = now + _policy_leads(policy)[1]
    known: set[datetime | None] | None = None  # the previous horizons, when one is near
    for cell in cells:
        horizon = cell.valid_until
        if horizon is not None and now < horizon <= latest:
            if known is None:
                known = {cell.valid_until for cell in previous}
            if horizon not in known:
                return now
    for moment in changes:
        if moment > now and (later is None or moment < later):
            later = moment
    return later
