"""Permission cells of one person: recompute (all or only the affected), diff, next wake-up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from handlers.calendar import nth_birthday
from handlers.erasure import deadlines
from handlers.evaluate import channels_for, evaluate_purpose
from handlers.zones import person_zone, zone
from schemas.config import by_jurisdiction
from schemas.enums import Channel
from schemas.messages import PermissionCell
from schemas.outputs import Decision
from schemas.policy import Policy
from schemas.state import PersonState, consent_key


def to_cell(d: Decision) -> PermissionCell:
    return PermissionCell.model_construct(
        purpose_id=d.purpose_id,
        channel=d.channel,
        permitted=d.permitted,
        reason=d.reason,
        rule=d.rule,
        row=d.row,
        effective_basis=d.effective_basis,
        valid_until=d.valid_until,
        secondary_reasons=d.secondary_reasons,
    )


def same_cell(a: PermissionCell, b: PermissionCell) -> bool:
    return (
        a.permitted == b.permitted
        and a.reason == b.reason
        and a.rule == b.rule
        and a.row == b.row
        and a.effective_basis == b.effective_basis
        and a.valid_until == b.valid_until
        and tuple(a.secondary_reasons) == tuple(b.secondary_reasons)
    )


def compute_cells(
    state: PersonState,
    policy: Policy,
    t: datetime,
    purpose_ids: Iterable[str] | None = None,
    channels: frozenset[Channel] | None = None,
) -> dict[str, PermissionCell]:
    """Cells keyed `purpose|channel` for the purposes (None: all) and channels (None: all)."""
    cells: dict[str, PermissionCell] = {}
    if state.person is None:
        return cells
    for purpose_id in policy.purposes if purpose_ids is None else purpose_ids:
        if purpose_id not in policy.purposes:
            continue
        row = channels_for(policy, purpose_id)
        if channels is not None:
            row = tuple(c for c in row if c in channels)
            if not row:
                continue
        for decision in evaluate_purpose(state, policy, purpose_id, row, t):
            cells[consent_key(purpose_id, decision.channel)] = to_cell(decision)
    return cells


def wakeup_candidates(
    state: PersonState, cells: Iterable[PermissionCell], policy: Policy
) -> list[datetime]:
    """Instants at which a cell may change or an alert fall due without a new event."""
    leads = [timedelta(days=d) for d in policy.rules.alert_lead_days]
    found: list[datetime] = []
    for cell in cells:
        until = cell.valid_until
        if until is not None:
            found.append(until)
            found.extend(until - lead for lead in leads)
    for history in state.consents.values():
        for record in history:
            if record.effective_from is not None:
                found.append(record.effective_from)
            if record.effective_to is not None:
                found.append(record.effective_to)
                found.extend(record.effective_to - lead for lead in leads)
    person = state.person
    if person is None:
        return found
    jurisdiction = policy.rules.controller_jurisdiction or person.jurisdiction
    tz = zone(by_jurisdiction(policy.rules.timezones, jurisdiction, "UTC"))
    for case in state.erasures.values():
        if case.executed_at is not None:
            continue
        _, due, _, _ = deadlines(case, policy, person)
        if due is not None:
            warn = due - timedelta(days=policy.rules.erasure_alert_days)
            found.append(datetime.combine(warn, time(), tz))
            found.append(datetime.combine(due + timedelta(days=1), time(), tz))
    if person.birth_date is not None:
        threshold = by_jurisdiction(policy.rules.digital_consent_age, person.jurisdiction, 16)
        birthday = nth_birthday(person.birth_date, threshold, policy.rules.feb29_birthday_rule)
        found.append(datetime.combine(birthday, time(), person_zone(person, policy.rules)))
    return found


def next_wakeup(
    state: PersonState,
    cells: Iterable[PermissionCell],
    policy: Policy,
    now: datetime,
    last_tick: datetime | None,
) -> datetime | None:
    """The earliest candidate after `now`; `now` itself when one fell due since the last tick
    (an alert to catch up on)."""
    later: datetime | None = None
    for moment in wakeup_candidates(state, cells, policy):
        if moment > now:
            if later is None or moment < later:
                later = moment
        elif last_tick is not None and moment > last_tick:
            return now
    return later
