"""Shared pieces of the record -> person-message mapping: the change, event ids, envelopes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.fast_models import construct, maker
from handlers.sf_values import instant, stamp
from schemas.events import BaseEvent, EventSource
from schemas.messages import PersonMessage, RecordFact


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One record's fields before (None: new to this person) and after a change."""

    entity: str
    record_id: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    deleted: bool
    commit_ms: int
    replay_id: int | None
    individual_id: str

    def version(self) -> datetime:
        """The record's version instant: LastModifiedDate, SystemModstamp, else the commit."""
        return (
            instant(self.after, "LastModifiedDate")
            or instant(self.after, "SystemModstamp")
            or datetime.fromtimestamp(self.commit_ms / 1000, tz=UTC)
        )

    def event_id(self, transition: str, at: datetime | None = None) -> str:
        """Deterministic across replays and backfill: entity, record, transition, instant."""
        return f"sf:{self.entity}:{self.record_id}:{transition}:{stamp(at or self.version())}"

    def source(self) -> EventSource:
        replay = None if self.replay_id is None else str(self.replay_id)
        values = {"system": "salesforce", "record_id": self.record_id, "replay_id": replay}
        return construct(EventSource, values)

    def changed(self, names: tuple[str, ...]) -> bool:
        """Any of `names` differs from what the person knew (always true when new)."""
        before = self.before
        if before is None:
            return True
        after = self.after
        return any(before.get(name) != after.get(name) for name in names)

    def appeared(self, name: str) -> datetime | None:
        """The instant in `name` when it is newly set (or changed) by this change."""
        value = instant(self.after, name)
        if value is None:
            return None
        if self.before is not None and instant(self.before, name) == value:
            return None
        return value

    def became_true(self, name: str) -> bool:
        if self.after.get(name) is not True:
            return False
        return self.before is None or self.before.get(name) is not True

    def message(self, event: BaseEvent) -> PersonMessage:
        return construct(
            PersonMessage,
            {
                "individual_id": self.individual_id,
                "kind": "EVENT",
                "event": event,
                "record": None,
                "tick_at": None,
                "source_record_id": self.record_id,
                "source_replay_id": self.replay_id,
            },
        )

    def fact(self, names: tuple[str, ...], *, deleted: bool | None = None) -> PersonMessage:
        after = self.after
        values = {  # every field, each of its declared type: built without a second validation
            "entity": self.entity,
            "record_id": self.record_id,
            "fields": {name: after[name] for name in names if name in after},
            "deleted": self.deleted if deleted is None else deleted,
            "commit_ms": self.commit_ms,
        }
        return construct(
            PersonMessage,
            {
                "individual_id": self.individual_id,
                "kind": "RECORD_FACT",
                "event": None,
                "record": construct(RecordFact, values),
                "tick_at": None,
                "source_record_id": self.record_id,
                "source_replay_id": self.replay_id,
            },
        )


_make_change = maker(RecordChange)


def record_change(  # noqa: PLR0917 - hot path: positional, one argument per field
    entity: str,
    record_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    deleted: bool,
    commit_ms: int,
    replay_id: int | None,
    individual_id: str,
) -> RecordChange:
    """`RecordChange(entity, record_id, ...)` without the frozen `__init__` (once per person
    per event)."""
    return _make_change(
        entity, record_id, before, after, deleted, commit_ms, replay_id, individual_id
    )
