"""The person aggregate: fold one person message, recompute the affected cells, diff, publish.

`step_person` is pure. A redelivered message (same event id, same record fact version, a tick
not after the last one) produces no outputs; alerts are recorded in the engine state
(`AlertEmitted`) so they go out once, across restarts too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from handlers.alerts import alerts_due
from handlers.cells import changed_cells, next_wakeup
from handlers.fast_models import construct
from handlers.fold import decide
from handlers.person_facts import derive_person
from schemas.aggregate import AggregateState
from schemas.enums import Channel
from schemas.events import AlertEmitted, BaseEvent, PersonUpdated
from schemas.messages import (
    AlertMessage,
    PermissionCell,
    PermissionChange,
    PermissionsSnapshot,
    PersonMessage,
    PurposeInfo,
    RecordFact,
    Trigger,
)
from schemas.outputs import AuditEvent, AuditRecorded, CellsAffected, CommandRejected
from schemas.policy import Policy
from schemas.state import PersonState

_TICK_RESOLUTION = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class AggregateOutput:
    snapshot: PermissionsSnapshot | None = None
    changes: tuple[PermissionChange, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    alerts: tuple[AlertMessage, ...] = ()
    rejections: tuple[CommandRejected, ...] = ()
    next_wakeup: datetime | None = None


@dataclass(slots=True)
class _Fold:
    """Accumulates the effects of the events folded for one message."""

    person: PersonState
    policy: Policy
    now: datetime
    audit: list[AuditEvent] = field(default_factory=list)
    rejections: list[CommandRejected] = field(default_factory=list)
    every_purpose: bool = False
    purposes: set[str] = field(default_factory=set)
    every_channel: bool = False
    channels: set[Channel] = field(default_factory=set)

    def fold(self, event: BaseEvent) -> None:
        self.person, effects = decide(self.person, event, now=self.now, config=self.policy)
        for effect in effects:
            if isinstance(effect, AuditRecorded):  # every AuditEvent field is in `fields`
                self.audit.append(construct(AuditEvent, {**effect.fields, "hash": effect.hash}))
            elif isinstance(effect, CellsAffected):
                self.affect(effect)
            else:
                self.rejections.append(effect)

    def affect(self, cells: CellsAffected) -> None:
        if cells.purpose_ids is None:
            self.every_purpose = True
        else:
            self.purposes.update(cells.purpose_ids)
        if cells.channels is None:
            self.every_channel = True
        else:
            self.channels.update(cells.channels)

    def affected(self) -> bool:
        return self.every_purpose or bool(self.purposes)


def step_person(
    state: AggregateState | None, message: PersonMessage, *, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    """Apply one message for one person (the Faust `persons` table value and the outputs)."""
    current = state if state is not None else AggregateState(created_at=now)
    if message.kind == "EVENT" and message.event is not None:
        return _on_event(current, message, message.event, now, policy)
    if message.kind == "RECORD_FACT" and message.record is not None:
        return _on_fact(current, message, message.record, now, policy)
    if message.kind == "TICK":
        return _on_tick(current, message, message.tick_at or now, now, policy)
    return current, AggregateOutput(next_wakeup=current.next_wakeup)


def _on_event(
    state: AggregateState, message: PersonMessage, event: BaseEvent, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    if event.event_id in state.person.seen_event_ids:
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    work = _Fold(state.person, policy, now)
    work.fold(event)
    trigger = Trigger(
        event_id=event.event_id,
        kind=event.kind,  # type: ignore[attr-defined]  # every PersonEvent has a kind
        record_id=message.source_record_id,
        replay_id=message.source_replay_id,
    )
    return _finish(state, work, now, policy, trigger, facts=state.facts)


def _fact_version(facts: dict[str, RecordFact]) -> str:
    versions = sorted(f"{key}@{fact.commit_ms}" for key, fact in facts.items())
    return hashlib.blake2b("|".join(versions).encode(), digest_size=12).hexdigest()


def _on_fact(
    state: AggregateState, message: PersonMessage, fact: RecordFact, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    known = state.facts.get(fact.record_id)
    if known is not None and (
        known == fact or (fact.commit_ms or 0) < (known.commit_ms or 0)
    ):  # redelivered or stale
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    if known is None and fact.deleted:
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    facts = {**state.facts, fact.record_id: fact}
    work = _Fold(state.person, policy, now)
    person = derive_person(message.individual_id, facts)
    event_id = ""
    if person is not None and person != state.person.person:
        at = datetime.fromtimestamp(fact.commit_ms / 1000, tz=UTC) if fact.commit_ms else now
        event_id = f"person:{message.individual_id}:{_fact_version(facts)}"
        work.fold(PersonUpdated(event_id=event_id, occurred_at=at, person=person))
    if fact.deleted:
        del facts[fact.record_id]  # the person is told; the version is no longer needed
    trigger = Trigger(
        event_id=event_id or None,
        kind="RECORD_FACT",
        record_id=message.source_record_id or fact.record_id,
        replay_id=message.source_replay_id,
    )
    return _finish(state, work, now, policy, trigger, facts=facts)


def _on_tick(
    state: AggregateState, message: PersonMessage, tick_at: datetime, now: datetime, policy: Policy
) -> tuple[AggregateState, AggregateOutput]:
    last = state.last_tick
    if last is not None and tick_at <= last:
        return state, AggregateOutput(next_wakeup=state.next_wakeup)
    work = _Fold(state.person, policy, now)
    work.every_purpose = work.every_channel = True
    alerts: list[AlertMessage] = []
    if state.person.person is not None:
        # (last tick, tick_at], or [created_at, tick_at] before the first tick
        start = last + _TICK_RESOLUTION if last is not None else state.created_at or tick_at
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
    trigger = Trigger(event_id=f"tick:{tick_at.isoformat()}", kind="TICK")
    new_state, output = _finish(
        state, work, tick_at, policy, trigger, facts=state.facts, last_tick=tick_at, now=now
    )
    return new_state, replace(output, alerts=tuple(alerts))


def _finish(
    state: AggregateState,
    work: _Fold,
    at: datetime,
    policy: Policy,
    trigger: Trigger,
    *,
    facts: dict[str, RecordFact],
    last_tick: datetime | None = None,
    now: datetime | None = None,
) -> tuple[AggregateState, AggregateOutput]:
    """Recompute the affected cells at `at`, diff them against the published ones, publish."""
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
            changes = _changes(person, cells, changed, at, trigger)
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
    new_state = AggregateState(
        person=person,
        facts=facts,
        cells=cells,
        published=state.published or snapshot is not None,
        next_wakeup=wakeup,
        last_tick=tick,
        created_at=state.created_at,
    )
    output = AggregateOutput(
        snapshot=snapshot,
        changes=tuple(changes),
        audit=tuple(work.audit),
        rejections=tuple(work.rejections),
        next_wakeup=wakeup,
    )
    return new_state, output


def _changes(
    person: PersonState,
    before: dict[str, PermissionCell],
    changed: dict[str, PermissionCell],
    at: datetime,
    trigger: Trigger,
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
                "trigger": trigger,
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
