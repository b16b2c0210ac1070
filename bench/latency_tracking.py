"""Bookkeeping of bench/latency.py: the changes made, their CDC events and permission changes.

A change is one update of one ContactPointTypeConsent; it is matched first to its CDC event on
lawful.sf-cdc.v1 (the k-th change of a record <-> the k-th event with that record id, which
gives its replay id), then to the first lawful.permission-changes.v1 message whose trigger
carries that record id and replay id. One change per person is in flight at a time, so the
worker never folds two of the bench's changes of one person into one step.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(eq=False)
class Change:
    """One record change: when it was made, and when each hop saw it (monotonic seconds)."""

    person: str
    record_id: str
    sent: float
    replay_id: int | None = None
    cdc_at: float | None = None
    person_at: float | None = None
    done_at: float | None = None


@dataclass
class Tracker:
    """Pending changes by record id and by replay id; changes made in the measured phase."""

    in_flight: dict[str, deque[Change]] = field(default_factory=dict)
    by_replay: dict[int, Change] = field(default_factory=dict)
    early: dict[int, float] = field(default_factory=dict)  # permission change before its CDC
    changes: list[Change] = field(default_factory=list)
    busy: set[str] = field(default_factory=set)  # persons with a change in flight
    stray_cdc: int = 0
    permission_messages: int = 0

    def sent(self, change: Change) -> None:
        self.changes.append(change)
        self.busy.add(change.person)
        self.in_flight.setdefault(change.record_id, deque()).append(change)

    def cdc_event(self, record_id: str | None, replay_id: int | None, at: float) -> None:
        queue = self.in_flight.get(record_id or "")
        if not queue or replay_id is None:
            self.stray_cdc += 1
            return
        change = queue.popleft()
        change.replay_id, change.cdc_at = replay_id, at
        self.by_replay[replay_id] = change
        early = self.early.pop(replay_id, None)
        if early is not None:
            self._done(change, early)

    def person_event(self, replay_id: int | None, at: float) -> None:
        change = self.by_replay.get(replay_id) if replay_id is not None else None
        if change is not None and change.person_at is None:
            change.person_at = at

    def permission_change(self, replay_id: int | None, at: float) -> None:
        self.permission_messages += 1
        if replay_id is None:
            return
        change = self.by_replay.get(replay_id)
        if change is None:
            self.early.setdefault(replay_id, at)
        elif change.done_at is None:
            self._done(change, at)

    def _done(self, change: Change, at: float) -> None:
        change.done_at = at
        self.busy.discard(change.person)

    def release_stale(self, older_than: float) -> None:
        """Persons whose change was never matched become usable again after `older_than` s."""
        limit = time.monotonic() - older_than
        for change in self.changes:
            if change.done_at is None and change.sent < limit and change.person in self.busy:
                self.busy.discard(change.person)
                queue = self.in_flight.get(change.record_id)
                if change.cdc_at is None and queue and change in queue:
                    queue.remove(change)  # its CDC event never came: keep the order of the rest

    def reset(self) -> None:
        """Forget the calibration phase's changes (keeps the matching state of late messages)."""
        self.changes = []
        self.busy.clear()
        self.permission_messages = 0
        self.stray_cdc = 0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values_s: list[float]) -> str:
    """`p50 / p95 / p99 / max` in milliseconds."""
    qs = (50, 95, 99, 100)
    return " / ".join(f"{percentile(values_s, q) * 1000:8.1f}" for q in qs)
