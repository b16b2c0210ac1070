"""bench/latency.py's matching: changes -> CDC events -> permission changes, by replay id."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import orjson

from bench.latency_listeners import CDC_TOPIC, consume
from bench.latency_tracking import Change, Tracker, percentile


def test_each_cdc_event_of_a_record_goes_to_its_changes_in_order() -> None:
    tracker = Tracker()
    first, second = Change("p1", "r1", sent=1.0), Change("p2", "r1", sent=2.0)
    tracker.sent(first)
    tracker.sent(second)
    tracker.cdc_event("r1", 10, at=1.5)
    tracker.cdc_event("r1", 11, at=2.5)
    tracker.permission_change(11, at=3.0)
    assert (first.replay_id, second.replay_id) == (10, 11)
    assert first.done_at is None
    assert second.done_at == 3.0
    assert tracker.busy == {"p1"}


def test_a_permission_change_read_before_its_cdc_event_still_matches() -> None:
    tracker = Tracker()
    change = Change("p1", "r1", sent=1.0)
    tracker.sent(change)
    tracker.permission_change(7, at=2.0)
    tracker.cdc_event("r1", 7, at=2.1)
    assert change.done_at == 2.0


def test_only_the_first_message_of_a_change_counts_and_strays_are_counted() -> None:
    tracker = Tracker()
    change = Change("p1", "r1", sent=1.0)
    tracker.sent(change)
    tracker.cdc_event("r1", 5, at=1.1)
    tracker.permission_change(5, at=1.2)
    tracker.permission_change(5, at=1.9)
    tracker.cdc_event("other", 6, at=2.0)
    assert change.done_at == 1.2
    assert tracker.stray_cdc == 1
    assert tracker.permission_messages == 2


def test_a_change_whose_cdc_never_came_is_released_and_dropped_from_the_order() -> None:
    tracker = Tracker()
    lost = Change("p1", "r1", sent=time.monotonic() - 60)
    tracker.sent(lost)
    tracker.release_stale(older_than=30.0)
    later = Change("p1", "r1", sent=time.monotonic())
    tracker.sent(later)
    tracker.cdc_event("r1", 9, at=time.monotonic())
    assert later.replay_id == 9
    assert lost.replay_id is None


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert math.isnan(percentile([], 50))


@dataclass(frozen=True)
class _Partition:
    topic: str
    partition: int = 0


class _Record:
    def __init__(self, value: dict[str, object], timestamp_ms: float) -> None:
        self.value = orjson.dumps(value)
        self.timestamp = int(timestamp_ms)


class _OneBatchConsumer:
    """getmany() returns one CDC message, sent two seconds ago, then stops the reader."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.sent_wall = time.time() - 2.0

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[_Partition, list[_Record]]:
        self.stop.set()
        record = _Record({"record_id": "r1", "replay_id": 9}, self.sent_wall * 1000)
        return {_Partition(CDC_TOPIC): [record]}


async def test_messages_are_timed_by_their_create_time_or_by_their_arrival() -> None:
    for arrival_times in (False, True):
        tracker, stop = Tracker(), asyncio.Event()
        change = Change("p1", "r1", sent=time.monotonic() - 3.0)
        tracker.sent(change)
        consumer = _OneBatchConsumer(stop)
        await consume(consumer, tracker, stop, poll_interval_s=0, arrival_times=arrival_times)
        assert change.cdc_at is not None
        age = time.monotonic() - change.cdc_at
        assert math.isclose(age, 0.0 if arrival_times else 2.0, abs_tol=0.5)
