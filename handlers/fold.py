"""decide(state, event, *, now, config) -> (new_state, effects): fold one person event.

Pure: no clock (`now` is when the system learned of the event), no I/O. A re-delivered event
(same event_id) changes nothing. Invalid commands are rejected with a reason and leave the state
as it was. Every state change emits a hash-chained audit effect.
"""

from __future__ import annotations

from datetime import datetime

from handlers.audit import make_audit
from handlers.fast_models import evolve
from handlers.fold_rules import HANDLERS
from handlers.step import Step
from schemas.errors import InvalidInputError
from schemas.events import BaseEvent
from schemas.outputs import CommandRejected, Effect
from schemas.policy import Policy
from schemas.state import PersonState


def _check_purposes(event: BaseEvent, policy: Policy) -> None:
    purpose_id = event.__dict__.get("purpose_id")  # a field if any (getattr: a slow miss)
    if purpose_id is not None and purpose_id not in policy.purposes:
        raise InvalidInputError(
            f"event {event.event_id}.purpose_id", f"unknown purpose {purpose_id!r}"
        )


def decide(
    state: PersonState, event: BaseEvent, *, now: datetime, config: Policy
) -> tuple[PersonState, tuple[Effect, ...]]:
    if event.event_id in state.seen_event_ids:
        return state, ()
    _check_purposes(event, config)
    handler = HANDLERS[type(event)]
    step: Step = handler(state, event, config)
    person_ref = _person_ref(state, step)
    head, count = state.audit_head, state.audit_count
    effects: list[Effect] = []
    entries = step.audits
    if step.rejection is not None:
        reason, detail, audit_type = step.rejection
        effects.append(CommandRejected(event.event_id, reason, detail))
        entries = [(audit_type, {"new_state": {"rejected": reason.value, "detail": detail}})]
    for audit_type, fields in entries:
        recorded = make_audit(
            prev_hash=head,
            sequence=count,
            person_ref=person_ref,
            event=event,
            event_type=audit_type,
            recorded_at=now,
            **fields,
        )
        effects.append(recorded)
        head, count = recorded.hash, count + 1
    if step.cells is not None and step.rejection is None:
        effects.append(step.cells)
    changes = step.changes if step.rejection is None else {}
    new_state = evolve(
        state,
        **changes,
        seen_event_ids=state.seen_event_ids | {event.event_id},
        audit_head=head,
        audit_count=count,
    )
    return new_state, tuple(effects)


def _person_ref(state: PersonState, step: Step) -> str:
    person = step.changes.get("person", state.person)
    return person.individual_id if person is not None else "unknown"


def fold_all(
    state: PersonState, events: list[BaseEvent], *, now: datetime, config: Policy
) -> tuple[PersonState, list[Effect]]:
    """Fold events in their documented order: occurred_at, then event_id."""
    effects: list[Effect] = []
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        state, produced = decide(state, event, now=now, config=config)
        effects.extend(produced)
    return state, effects
