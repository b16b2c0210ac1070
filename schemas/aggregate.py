"""The person aggregate's state (one per Individual, the Faust `persons` table) and its codec."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from pydantic import BaseModel, TypeAdapter

from schemas.fast_json import SHARED_JSON, right_sized
from schemas.messages import PermissionCell, RecordFact
from schemas.state import PersonState

STATE_CACHE_BYTES = 32 * 1024 * 1024
"""JSON bytes of decoded states kept per process by default (a decoded state takes about 4.6
times its JSON in memory): a person changed again before this many bytes of other persons'
states were written is not decoded again (`set_state_cache_bytes`)."""


@dataclass(frozen=True, slots=True)
class AggregateState:
    """The engine state, the record facts by record id, what was last published, and timers.

    Immutable by convention too: `step_person` builds new dicts, never changes these in place
    (the codec shares decoded states between calls).
    """

    person: PersonState = field(default_factory=PersonState)
    facts: dict[str, RecordFact] = field(default_factory=dict)
    cells: dict[str, PermissionCell] = field(default_factory=dict)
    published: bool = False
    next_wakeup: datetime | None = None
    last_tick: datetime | None = None
    created_at: datetime | None = None  # alerts are due from here until the first tick


_ADAPTER: TypeAdapter[AggregateState] = TypeAdapter(AggregateState)


class _RecentStates:
    """The decoded states of the values this process wrote last, looked up by the identity of
    the value (the table keeps the very bytes `dump_state` returned; hashing a large value
    costs more than the look-up saves). At most `budget` bytes of values, the newest kept."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[int, tuple[bytes, AggregateState]] = OrderedDict()

    # An entry keeps its value alive, so a live value with an entry's id is that very value:
    # a value `dump_state` has just made has none yet, and one found by its id is the one kept.

    def get(self, data: bytes) -> AggregateState | None:
        entry = self._entries.get(id(data))
        if entry is None:
            return None
        self._entries.move_to_end(id(data))
        return entry[1]

    def put(self, data: bytes, state: AggregateState) -> None:
        self._entries[id(data)] = (data, state)
        self.size += len(data)
        self.shrink()

    def shrink(self) -> None:
        """Drop the oldest entries until at most `budget` bytes are kept."""
        while self.size > self.budget and self._entries:
            _, (dropped, _) = self._entries.popitem(last=False)
            self.size -= len(dropped)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0


_recent = _RecentStates(STATE_CACHE_BYTES)


_models: dict[type, bool] = {}  # class -> is a pydantic model (a dict look-up per value)


def _plain(value: object) -> object:
    """orjson fallback: models as their field dicts (a shared one as its JSON), sets as lists
    (the shapes pydantic reads)."""
    entry = SHARED_JSON.get(id(value))  # inlined `shared_json`: called for every nested model
    if entry is not None and entry[0] is value:
        return entry[1]
    cls = type(value)
    model = _models.get(cls)
    if model is None:
        model = _models[cls] = issubclass(cls, BaseModel)
    if model:
        return value.__dict__
    if isinstance(value, frozenset | set):
        return list(value)
    raise TypeError(type(value).__name__)


def dump_state(state: AggregateState) -> bytes:
    """JSON bytes (the table value): orjson writes the dataclasses and models' fields as they
    are (several times faster than pydantic's serializer); `load_state` validates them."""
    data = right_sized(orjson.dumps(state, default=_plain))
    _recent.put(data, state)
    return data


def load_state(data: bytes) -> AggregateState:
    """The state from its JSON; a value this process wrote recently is not decoded again.

    A decoded state is not kept: the step that loads it writes its successor, which is. Kept,
    it would only be dropped cold later (measured with 512 states: ~12% of the persons agent)."""
    state = _recent.get(data)
    if state is not None:
        return state
    return _ADAPTER.validate_json(data)


def set_state_cache_bytes(budget: int) -> None:
    """Keep the decoded states of at most `budget` bytes of values (0: none)."""
    if budget < 0:
        raise ValueError(f"a state cache keeps at least 0 bytes, not {budget}")
    _recent.budget = budget
    _recent.shrink()


def clear_state_cache() -> None:
    """Forget decoded states (tests: force a real decode)."""
    _recent.clear()
