"""What the messages of one aggregate step did before the cells are recomputed: the folded
engine state, the record facts, audit entries, rejections, the affected cells and, per cell,
which message changed it (the trigger of its PermissionChange)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from handlers.fast_models import construct
from handlers.fold import decide
from handlers.person_facts import derive_person
from schemas.enums import Channel
from schemas.events import BaseEvent, PersonUpdated
from schemas.messages import PermissionCell, PersonMessage, RecordFact, Trigger
from schemas.outputs import AuditEvent, AuditRecorded, CellsAffected, CommandRejected
from schemas.person import Person
from schemas.policy import Policy
from schemas.state import PersonState

EVERY_CELL = CellsAffected(None, None)
_EVENT_ID_MAX = 200  # BaseEvent.event_id's max_length


def fact_version(facts: dict[str, RecordFact]) -> str:
    """A digest of every fact's version (deleted ones included, so ids never repeat)."""
    versions = sorted(f"{key}@{fact.commit_ms}:{fact.deleted}" for key, fact in facts.items())
    return hashlib.blake2b("|".join(versions).encode(), digest_size=12).hexdigest()


def _person_updated(event_id: str, at: datetime, person: Person) -> PersonUpdated:
    """`PersonUpdated(event_id=..., occurred_at=at, person=person)`, validated only when the id's
    length or the instant could fail the model's constraints (it then raises its own error)."""
    if 0 < len(event_id) <= _EVENT_ID_MAX and at.utcoffset() is not None:
        values = {
            "event_id": event_id,
            "occurred_at": at,
            "source": None,
            "kind": "PERSON_UPDATED",
            "person": person,
        }
        return construct(PersonUpdated, values)
    return PersonUpdated(event_id=event_id, occurred_at=at, person=person)


def _trigger(event_id: str, kind: str, record_id: str | None, replay_id: int | None) -> Trigger:
    """A Trigger from a validated message's values (no validation again)."""
    values = {"event_id": event_id, "kind": kind, "record_id": record_id, "replay_id": replay_id}
    return construct(Trigger, values)


@dataclass(slots=True)
class Work:
    person: PersonState
    facts: dict[str, RecordFact]
    policy: Policy
    now: datetime
    individual_id: str
    audit: list[AuditEvent] = field(default_factory=list)
    rejections: list[CommandRejected] = field(default_factory=list)
    every_purpose: bool = False
    purposes: set[str] = field(default_factory=set)
    every_channel: bool = False
    channels: set[Channel] = field(default_factory=set)
    triggers: list[tuple[tuple[CellsAffected, ...], Trigger]] = field(default_factory=list)
    touched: bool = False  # something was folded or a fact changed
    _facts_copied: bool = False
    _fact_source: tuple[str | None, int | None] | None = None  # the last new fact's message

    def fold(self, event: BaseEvent) -> tuple[CellsAffected, ...]:
        """Fold one event; the cells it may have changed."""
        self.touched = True
        self.person, effects = decide(self.person, event, now=self.now, config=self.policy)
        affected: list[CellsAffected] = []
        for effect in effects:
            if isinstance(effect, AuditRecorded):  # every AuditEvent field is in `fields`
                self.audit.append(construct(AuditEvent, {**effect.fields, "hash": effect.hash}))
            elif isinstance(effect, CellsAffected):
                self.affect(effect)
                affected.append(effect)
            else:
                self.rejections.append(effect)
        return tuple(affected)

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

    def event(self, message: PersonMessage, event: BaseEvent) -> None:
        """An engine event (a redelivered one changes nothing)."""
        if event.event_id in self.person.seen_event_ids:
            return
        self.settle_person()  # events fold against the person as known when they arrive
        kind = event.kind  # type: ignore[attr-defined]  # every PersonEvent has a kind
        trigger = _trigger(event.event_id, kind, message.source_record_id, message.source_replay_id)
        self.triggers.append((self.fold(event), trigger))

    def fact(self, message: PersonMessage, fact: RecordFact) -> None:
        """A record fact; the person is derived again before the next event or the recompute."""
        known = self.facts.get(fact.record_id)
        if known is None and fact.deleted:
            return
        if known is not None and (known == fact or (fact.commit_ms or 0) < (known.commit_ms or 0)):
            return  # redelivered or stale
        if not self._facts_copied:
            self.facts, self._facts_copied = dict(self.facts), True
        self.facts[fact.record_id] = fact
        self.touched = True
        self._fact_source = (message.source_record_id or fact.record_id, message.source_replay_id)

    def settle_person(self) -> None:
        """Fold a PersonUpdated when the facts changed the derived person."""
        source, self._fact_source = self._fact_source, None
        if source is None:
            return
        person = derive_person(self.individual_id, self.facts)
        if person is None or person == self.person.person:
            return
        newest = max((f.commit_ms or 0) for f in self.facts.values())
        at = datetime.fromtimestamp(newest / 1000, tz=UTC) if newest else self.now
        event_id = f"person:{self.individual_id}:{fact_version(self.facts)}"
        cells = self.fold(_person_updated(event_id, at, person))
        self.triggers.append((cells, _trigger(event_id, "RECORD_FACT", *source)))

    def trigger_for(self, cell: PermissionCell) -> Trigger:
        """The last message of the step whose effects cover `cell`."""
        purpose, channel = cell.purpose_id, cell.channel
        for cells, trigger in reversed(self.triggers):
            for affected in cells:  # does `affected` cover the cell (hot: every changed cell)
                purposes, channels = affected.purpose_ids, affected.channels
                if (purposes is None or purpose in purposes) and (
                    channels is None or channel is None or channel in channels
                ):
                    return trigger
        return self.triggers[-1][1] if self.triggers else Trigger()
