"""The person aggregate: fold one person message, recompute the affected cells, diff, publish.

`step_person` is pure. A redelivered message (same event id, same record fact version, a tick
not after the last one) produces no outputs; alerts are recorded in the engine state
(`AlertEmitted`) so they go out once, across restarts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from handlers.aggregate_work import EVERY_CELL, Work
from handlers.alerts import alerts_due
from handlers.cells import changed_cells, next_wakeup
from handlers.fast_models import construct, evolve, maker
from schemas.aggregate import AggregateState
from schemas.events import AlertEmitted
from schemas.messages import (
    AlertMessage,
    PermissionCell,
    PermissionChange,
    PermissionsSnapshot,
    PersonMessage,
    PurposeInfo,
    Trigger,
)
from schemas.outputs import AuditEvent, CommandRejected
from schemas.policy import Policy
from schemas.state import PersonState

_TICK_RESOLUTION = timedelta(microseconds=1)
_NOBODY = PersonState()  # a new person's; shared: states are never changed in place


@dataclass(frozen=True, slots=True)
class AggregateOutput:
    snapshot: PermissionsSnapshot | None = None
    changes: tuple[PermissionChange, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    alerts: tuple[AlertMessage, ...] = ()
    rejections: tuple[CommandRejected, ...] = ()
    next_wakeup: datetime | None = None


# Positional constructors without the dataclass `__init__` (hot: two states, one output per step):
# _state(person, facts, cells, published, next_wakeup, last_tick, created_at) and
# _output(snapshot, changes, audit, alerts, rejections, next_wakeup).
_state = maker(AggregateState)
_output = maker(AggregateOutput)


def step_person(
    state: AggregateState | None, message: PersonMessage, *, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    """Apply one message for one person (the Faust `persons` table value and the outputs)."""
    return step_person_batch(state, (message,), now=now, policy=policy)


def step_person_batch(
    state: AggregateState | None,
    messages: Iterable[PersonMessage],
    *,
    now: datetime,
    policy: Policy,
) -> tuple[AggregateState, AggregateOutput]:
    """Apply several messages of one person, in order, recomputing the cells once (and at each
    tick): the same final state as one `step_person` per message, net changes per cell, one
    snapshot. For batch-level table updates in the worker."""
    current = state if state is not None else _state(_NOBODY, {}, {}, False, None, None, now)
    outputs: list[AggregateOutput] = []
    work: Work | None = None
    for message in messages:
        if message.kind == "TICK":
            if work is not None:
                current, output = _finish(current, work, now, policy)
                outputs.append(output)
                work = None
            current, output = _on_tick(current, message.tick_at or now, now, policy)
            outputs.append(output)
            continue
        if work is None:
            work = Work(current.person, current.facts, policy, now, message.individual_id)
        if message.kind == "EVENT" and message.event is not None:
            work.event(message, message.event)
        elif message.kind == "RECORD_FACT" and message.record is not None:
            work.fact(message, message.record)
    if work is not None:
        current, output = _finish(current, work, now, policy)
        outputs.append(output)
    return current, _merge(outputs, current.next_wakeup)


def _merge(outputs: list[AggregateOutput], wakeup: datetime | None) -> AggregateOutput:
    if len(outputs) == 1:
        return outputs[0]
    snapshots = [o.snapshot for o in outputs if o.snapshot is not None]
    return AggregateOutput(
        snapshot=snapshots[-1] if snapshots else None,
        changes=tuple(c for o in outputs for c in o.changes),
        audit=tuple(a for o in outputs for a in o.audit),
        alerts=tuple(a for o in outputs for a in o.alerts),
        rejections=tuple(r for o in outputs for r in o.rejections),
        next_wakeup=wakeup,
    )


def _on_tick(
    state: AggregateState, tick_at: datetime, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    last = state.last_tick
    if last is not None and tick_at <= last:
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    individual = state.person.person.individual_id if state.person.person else ""
    work = Work(state.person, state.facts, policy, now, individual, touched=True)
    work.affect(EVERY_CELL)
    work.triggers.append(
        ((EVERY_CELL,), Trigger(event_id=f"tick:{tick_at.isoformat()}", kind="TICK"))
    )
    alerts: list[AlertMessage] = []
    if state.person.person is not None:
        # (last tick, tick_at], or [created_at, tick_at] before the first tick. A state rebuilt
        # after a crash is created after the redelivered TICK was sent: start at the TICK then.
        first = min(state.created_at, tick_at) if state.created_at is not None else tick_at
        start = last + _TICK_RESOLUTION if last is not None else first
        for alert in alerts_due(state.person, policy, start, tick_at + _TICK_RESOLUTION):
            work.fold(
                AlertEmitted(
                    event_id=f"alert:{alert.alert_key}",
                    occurred_at=alert.due_at,
                    alert_key=alert.alert_key,
                )
            )
            alerts.append(
                AlertMessage(
                    event_id=alert.alert_key, occurred_at=alert.due_at, type=alert.type, data=alert
                )
            )
    new_state, output = _finish(state, work, tick_at, policy, last_tick=tick_at, now=now)
    return new_state, evolve(output, alerts=tuple(alerts))


def _finish(
    state: AggregateState,
    work: Work,
    at: datetime,
    policy: Policy,
    *,
    last_tick: datetime | None = None,
    now: datetime | None = None,
) -> tuple[AggregateState, AggregateOutput]:
    """Recompute the affected cells at `at`, diff them against the published ones, publish."""
    work.settle_person()
    if not work.touched:  # only redeliveries: nothing happened
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    person = work.person
    cells = state.cells
    changes: list[PermissionChange] = []
    if work.affected() and person.person is not None:
        purposes = None if work.every_purpose else sorted(work.purposes)
        channels = None if work.every_channel else frozenset(work.channels)
        changed, seen = changed_cells(
            person, policy, at, cells, purpose_ids=purposes, channels=channels
        )
        full = purposes is None and channels is None
        removed = full and any(key not in seen for key in cells)  # a purpose left the catalogue
        if changed or removed:
            changes = _changes(person, cells, changed, at, work)
            kept = {k: v for k, v in cells.items() if k in seen} if removed else cells
            cells = {**kept, **changed}
    tick = last_tick if last_tick is not None else state.last_tick
    clock = now if now is not None else at
    since = tick or state.created_at
    wakeup = next_wakeup(
        person, cells.values(), policy, clock, since, previous=state.cells.values()
    )
    publish = person.person is not None and (bool(changes) or not state.published)
    snapshot = _snapshot(person, cells, policy, at, wakeup) if publish else None
    published = state.published or snapshot is not None
    new_state = _state(person, work.facts, cells, published, wakeup, tick, state.created_at)
    output = _output(
        snapshot, tuple(changes), tuple(work.audit), (), tuple(work.rejections), wakeup
    )
    return new_state, output


def _changes(
    person: PersonState,
    before: dict[str, PermissionCell],
    changed: dict[str, PermissionCell],
    at: datetime,
    work: Work,
) -> list[PermissionChange]:
    assert person.person is not None  # noqa: S101 - checked by the caller
    individual = person.person.individual_id
    return [
        construct(
            PermissionChange,
            {
                "schema_version": 1,
                "individual_id": individual,
                "purpose_id": cell.purpose_id,
                "channel": cell.channel,
                "before": before.get(key),
                "after": cell,
                "changed_at": at,
                "trigger": work.trigger_for(cell),
            },
        )
        for key, cell in changed.items()
    ]


def _snapshot(
    person: PersonState,
    cells: dict[str, PermissionCell],
    policy: Policy,
    at: datetime,
    wakeup: datetime | None,
) -> PermissionsSnapshot:
    facts = person.person
    assert facts is not None  # noqa: S101 - checked by the caller
    erased = any(
        c.executed_at is not None and c.executed_at <= at for c in person.erasures.values()
    )
    return construct(
        PermissionsSnapshot,
        {
            "schema_version": 1,
            "individual_id": facts.individual_id,
            "org_id": facts.org_id,
            "brand": facts.brand,
            "jurisdiction": facts.jurisdiction,
            "evaluated_at": at,
            "erased": erased,
            "purposes": purpose_infos(policy),
            "cells": tuple(cells.values()),
            "next_horizon": wakeup,
        },
    )


@lru_cache(maxsize=16)
def purpose_infos(policy: Policy) -> tuple[PurposeInfo, ...]:
    """What a consumer needs to filter by purpose (built once per catalogue)."""
    return tuple(
        PurposeInfo(
            purpose_id=p.id,
            category=p.category.value,
            parent_id=p.parent_id,
            product_family=p.product_family,
        )
        for p in policy.purposes.values()
    )
