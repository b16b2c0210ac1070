"""The event bus: replay ids, retention window, replay validity, delivery allocation."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from emulator.streaming.allocation import DeliveryAllocation
from emulator.streaming.eventlog import EventBus
from emulator.streaming.testing import ManualClock

pytestmark = pytest.mark.unit


class Source:
    def __init__(self, label: str) -> None:
        self.label = label
        self.renders = 0

    def render(self, replay_id: int) -> dict[str, Any]:
        self.renders += 1
        return {"label": self.label, "event": {"replayId": replay_id}}


def make_bus(clock: ManualClock, retention: float = 100.0) -> EventBus:
    return EventBus(retention_seconds=retention, first_replay_id=1000, clock=clock)


def test_replay_ids_increase_but_are_not_contiguous() -> None:
    bus = make_bus(ManualClock(0.0))
    ids = bus.publish([(("/a",), Source(str(i))) for i in range(20)])
    assert ids == sorted(ids)
    assert len(set(ids)) == 20
    assert any(b - a > 1 for a, b in itertools.pairwise(ids))


def test_read_after_cursor_and_shared_ids_across_channels() -> None:
    bus = make_bus(ManualClock(0.0))
    first, second = bus.publish([(("/a", "/all"), Source("1")), (("/b", "/all"), Source("2"))])
    assert [e.replay_id for e in bus.read("/all", 0, 10)] == [first, second]
    assert [e.replay_id for e in bus.read("/all", first, 10)] == [second]
    assert [e.replay_id for e in bus.read("/b", 0, 10)] == [second]
    assert bus.read("/a", first, 10) == []
    assert bus.latest("/all") == second
    assert bus.latest("/nothing") == 0


def test_rendering_is_cached_per_event() -> None:
    bus = make_bus(ManualClock(0.0))
    source = Source("x")
    bus.publish([(("/a", "/b"), source)])
    for channel in ("/a", "/b"):
        (event,) = bus.read(channel, 0, 10)
        assert event.data()["label"] == "x"
    assert source.renders == 1


def test_retention_window_follows_the_clock() -> None:
    clock = ManualClock(0.0)
    bus = make_bus(clock, retention=100.0)
    (old,) = bus.publish([(("/a",), Source("old"))])
    clock.advance(60)
    (new,) = bus.publish([(("/a",), Source("new"))])
    assert bus.is_replayable("/a", old)
    clock.advance(50)  # old is 110 s old now, new 50 s
    assert not bus.is_replayable("/a", old)
    assert bus.is_replayable("/a", new)
    assert bus.oldest_cursor("/a") == new - 1
    assert [e.replay_id for e in bus.read("/a", 0, 10)] == [new]
    clock.advance(60)
    assert not bus.is_replayable("/a", new)
    assert bus.read("/a", 0, 10) == []


def test_expire_all_invalidates_stored_ids_but_keeps_new_events() -> None:
    bus = make_bus(ManualClock(0.0))
    (stored,) = bus.publish([(("/a",), Source("1"))])
    bus.expire_all()
    assert not bus.is_replayable("/a", stored)
    (fresh,) = bus.publish([(("/a",), Source("2"))])
    assert fresh > stored
    assert [e.replay_id for e in bus.read("/a", -5, 10)] == [fresh]


def test_unknown_or_future_ids_are_not_replayable() -> None:
    bus = make_bus(ManualClock(0.0))
    (only,) = bus.publish([(("/a",), Source("1"))])
    assert not bus.is_replayable("/b", only)
    assert not bus.is_replayable("/a", only + 1000)
    assert bus.is_replayable("/a", only)


def test_delivery_allocation_is_a_rolling_day() -> None:
    clock = ManualClock(0.0)
    allocation = DeliveryAllocation(10, clock)
    allocation.record(6)
    clock.advance(12 * 3600)
    allocation.record(4)
    assert allocation.remaining() == 0
    clock.advance(13 * 3600)
    assert allocation.used() == 4
    allocation.exhaust()
    assert allocation.remaining() == 0
    allocation.reset()
    assert allocation.remaining() == 10


def test_expired_events_are_trimmed_from_memory() -> None:
    clock = ManualClock(0.0)
    bus = make_bus(clock, retention=10.0)
    bus.publish([(("/a",), Source(str(i))) for i in range(12_000)])
    clock.advance(20)
    (fresh,) = bus.publish([(("/a",), Source("fresh"))])
    bus.publish([(("/b",), Source(str(i))) for i in range(10_000)])
    assert bus.sizes()["/a"] == 1
    assert [e.replay_id for e in bus.read("/a", 0, 10)] == [fresh]
    assert bus.is_replayable("/a", fresh)
