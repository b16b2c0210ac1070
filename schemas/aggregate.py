"""The person aggregate's state (one per Individual, the Faust `persons` table) and its codec."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import TypeAdapter

from schemas.messages import PermissionCell, RecordFact
from schemas.state import PersonState


@dataclass(frozen=True, slots=True)
class AggregateState:
    """The engine state, the record facts by record id, what was last published, and timers."""

    person: PersonState = field(default_factory=PersonState)
    facts: dict[str, RecordFact] = field(default_factory=dict)
    cells: dict[str, PermissionCell] = field(default_factory=dict)
    published: bool = False
    next_wakeup: datetime | None = None
    last_tick: datetime | None = None


_ADAPTER: TypeAdapter[AggregateState] = TypeAdapter(AggregateState)


def dump_state(state: AggregateState) -> bytes:
    """JSON bytes (the table value)."""
    return _ADAPTER.dump_json(state)


def load_state(data: bytes) -> AggregateState:
    return _ADAPTER.validate_json(data)
