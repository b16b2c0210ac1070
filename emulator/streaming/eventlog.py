"""The event bus: append-only per-channel logs with replay ids and a retention window."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from emulator.streaming.ids import ReplayIdSequence

DataDict = dict[str, Any]
_TRIM_EVERY = 10_000  # publications between sweeps of expired events


class EventSource(Protocol):
    """Something that can render the `data` member of a delivered CometD message."""

    def render(self, replay_id: int) -> DataDict: ...


class StoredEvent:
    """One event on the bus; the delivered `data` is rendered on first delivery and cached."""

    __slots__ = ("_data", "replay_id", "source", "stored_at")

    def __init__(self, replay_id: int, stored_at: float, source: EventSource) -> None:
        self.replay_id = replay_id
        self.stored_at = stored_at
        self.source = source
        self._data: DataDict | None = None

    def data(self) -> DataDict:
        if self._data is None:
            self._data = self.source.render(self.replay_id)
        return self._data


def _stored_at(event: StoredEvent) -> float:
    return event.stored_at


class ChannelLog:
    """The events of one channel, in replay-id order."""

    def __init__(self) -> None:
        self.replay_ids: list[int] = []
        self.events: list[StoredEvent] = []

    def append(self, event: StoredEvent) -> None:
        self.replay_ids.append(event.replay_id)
        self.events.append(event)

    def drop_before(self, index: int) -> None:
        """Forget events that left the retention window (they can never be read again)."""
        del self.replay_ids[:index], self.events[:index]

    def first_retained(self, cutoff_time: float, floor_replay_id: int) -> int:
        """Index of the oldest event still inside the retention window."""
        by_time = bisect_left(self.events, cutoff_time, key=_stored_at)
        by_floor = bisect_right(self.replay_ids, floor_replay_id)
        return max(by_time, by_floor)


class EventBus:
    """Thread-safe store of every event, indexed by channel."""

    def __init__(
        self, *, retention_seconds: float, first_replay_id: int, clock: Callable[[], float]
    ) -> None:
        self.retention_seconds = retention_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._logs: dict[str, ChannelLog] = {}
        self._sequence = ReplayIdSequence(first_replay_id)
        self._floor = 0  # replay ids <= floor count as expired (fault injection)
        self._published = 0

    def publish(self, batch: Iterable[tuple[Sequence[str], EventSource]]) -> list[int]:
        """Store events (each on one or more channels, same replay id); return their ids."""
        now = self._clock()
        ids: list[int] = []
        with self._lock:
            for channels, source in batch:
                event = StoredEvent(self._sequence.next(), now, source)
                for channel in channels:
                    log = self._logs.get(channel)
                    if log is None:
                        log = self._logs[channel] = ChannelLog()
                    log.replay_ids.append(event.replay_id)  # ChannelLog.append, inlined
                    log.events.append(event)
                ids.append(event.replay_id)
            self._published += len(ids)
            if self._published >= _TRIM_EVERY:
                self._published = 0
                self._trim()
        return ids

    def _trim(self) -> None:
        for log in self._logs.values():
            start = self._start(log)
            if start >= _TRIM_EVERY:
                log.drop_before(start)

    def expire_all(self) -> None:
        """Make every event stored so far fall out of the retention window."""
        with self._lock:
            self._floor = self._sequence.next()

    def _start(self, log: ChannelLog) -> int:
        return log.first_retained(self._clock() - self.retention_seconds, self._floor)

    def latest(self, channel: str) -> int:
        """The cursor meaning "only new events" for a channel."""
        with self._lock:
            log = self._logs.get(channel)
            if log is None or not log.replay_ids:
                return self._floor
            return log.replay_ids[-1]

    def oldest_cursor(self, channel: str) -> int:
        """The cursor meaning "every retained event" for a channel."""
        with self._lock:
            log = self._logs.get(channel)
            if log is None:
                return 0
            start = self._start(log)
            return log.replay_ids[start] - 1 if start < len(log.replay_ids) else self._floor

    def is_replayable(self, channel: str, replay_id: int) -> bool:
        """Whether a stored replay id still lies inside the channel's retained range."""
        with self._lock:
            log = self._logs.get(channel)
            if log is None:
                return False
            start = self._start(log)
            if start >= len(log.replay_ids):
                return False
            return log.replay_ids[start] <= replay_id <= log.replay_ids[-1]

    def read(self, channel: str, cursor: int, limit: int) -> list[StoredEvent]:
        """Retained events of a channel with replay id > cursor, oldest first."""
        if limit <= 0:
            return []
        with self._lock:
            log = self._logs.get(channel)
            if log is None or not log.replay_ids or log.replay_ids[-1] <= cursor:
                return []
            index = max(bisect_right(log.replay_ids, cursor), self._start(log))
            return log.events[index : index + limit]

    def sizes(self) -> dict[str, int]:
        with self._lock:
            return {channel: len(log.events) for channel, log in self._logs.items()}
