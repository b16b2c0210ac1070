"""The wake-up schedule on a real Redis: due persons get a TICK, and a wake-up is forgotten only
once its TICK is on the broker (a crash before the flush must not lose it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio

from schemas.messages import PersonMessage
from workers.pipeline.links import LinkStore
from workers.pipeline.scheduler import WakeupSchedule, send_due_ticks

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Broker:
    """A producer whose sends are buffered until `flush`, which may be made to fail."""

    def __init__(self) -> None:
        self.buffered: list[str] = []
        self.delivered: list[str] = []
        self.fail_flush = False

    async def send(self, topic: str, key: str | None, value: bytes) -> None:
        assert topic == "lawful.person-events.v1"
        message = PersonMessage.model_validate_json(value)
        assert message.kind == "TICK"
        assert key == message.individual_id
        self.buffered.append(message.individual_id)

    async def flush(self) -> None:
        if self.fail_flush:
            raise ConnectionError("broker gone")
        self.delivered.extend(self.buffered)
        self.buffered.clear()


async def _schedule(client: redis.asyncio.Redis, prefix: str) -> WakeupSchedule:
    schedule = WakeupSchedule(client, prefix)
    await schedule.schedule("due-1", 0, NOW - timedelta(minutes=5))
    await schedule.schedule("due-2", 0, NOW - timedelta(seconds=1))
    await schedule.schedule("later", 0, NOW + timedelta(days=1))
    await schedule.schedule("other-partition", 1, NOW - timedelta(minutes=1))
    await schedule.flush()
    return schedule


async def test_due_persons_get_a_tick_and_are_forgotten_after_the_flush(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    schedule = await _schedule(redis_client, redis_prefix)
    broker = Broker()
    sent = await send_due_ticks(
        schedule, [0], broker.send, "lawful.person-events.v1", flush=broker.flush, now=NOW
    )
    assert sent == 2
    assert broker.delivered == ["due-1", "due-2"]
    assert await schedule.due(0, NOW) == []
    assert [m for m, _ in await schedule.due(0, NOW + timedelta(days=2))] == ["later"]
    assert [m for m, _ in await schedule.due(1, NOW)] == ["other-partition"]


async def test_a_failed_flush_keeps_the_wake_ups_for_the_next_scan(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    schedule = await _schedule(redis_client, redis_prefix)
    broker = Broker()
    broker.fail_flush = True
    with pytest.raises(ConnectionError):
        await send_due_ticks(
            schedule, [0], broker.send, "lawful.person-events.v1", flush=broker.flush, now=NOW
        )
    assert broker.delivered == []
    assert [m for m, _ in await schedule.due(0, NOW)] == ["due-1", "due-2"]
    broker.fail_flush = False
    broker.buffered.clear()  # the crashed process's buffer is gone
    await send_due_ticks(
        schedule, [0], broker.send, "lawful.person-events.v1", flush=broker.flush, now=NOW
    )
    assert broker.delivered == ["due-1", "due-2"]


async def test_a_wake_up_rescheduled_while_its_tick_was_in_flight_survives(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    schedule = await _schedule(redis_client, redis_prefix)
    broker = Broker()
    later = NOW + timedelta(days=7)

    async def flush_while_rescheduling() -> None:
        await schedule.schedule("due-1", 0, later)  # the persons agent moved it meanwhile
        await schedule.flush()
        await broker.flush()

    await send_due_ticks(
        schedule,
        [0],
        broker.send,
        "lawful.person-events.v1",
        flush=flush_while_rescheduling,
        now=NOW,
    )
    remaining = await schedule.due(0, later)
    assert [(m, s) for m, s in remaining if m == "due-1"] == [("due-1", later.timestamp())]


async def test_one_flush_sets_and_clears_wake_ups_across_partitions(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    schedule = await _schedule(redis_client, redis_prefix)
    await schedule.schedule("due-1", 0, None)  # no horizon any more
    await schedule.schedule("later", 0, NOW - timedelta(hours=1))  # moved earlier
    await schedule.schedule("new", 1, NOW - timedelta(hours=2))
    await schedule.schedule("other-partition", 1, None)
    await schedule.schedule("new", 1, NOW - timedelta(hours=3))  # the last one wins
    await schedule.flush()
    assert [m for m, _ in await schedule.due(0, NOW)] == ["later", "due-2"]
    assert await schedule.due(1, NOW) == [("new", (NOW - timedelta(hours=3)).timestamp())]


async def test_a_lost_schedule_is_found_and_restored_without_overwriting_newer_wake_ups(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    schedule = WakeupSchedule(redis_client, redis_prefix)
    assert await schedule.lost([0, 1]) == [0, 1]  # never written: nothing marks them
    await schedule.schedule("newer", 0, NOW)  # the persons agent wrote this meanwhile
    await schedule.flush()
    table = [(0, "newer", (NOW - timedelta(days=9)).timestamp()), (0, "old", NOW.timestamp())]
    assert await schedule.restore([0, 1], table) == 2
    assert await schedule.due(0, NOW) == [("newer", NOW.timestamp()), ("old", NOW.timestamp())]
    assert await schedule.lost([0, 1, 2]) == [2]
    await redis_client.delete(schedule.marker(1))
    assert await schedule.lost([0, 1]) == [1]


async def test_lost_link_partitions_are_found_and_restored(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    links = LinkStore(redis_client, redis_prefix)
    assert await links.lost([0, 1]) == [0, 1]
    await links.restore([0], [("003A", "0PK1"), ("006A", "0PK1"), ("006A", "0PK2")])
    assert await links.lost([0, 1]) == [1]
    assert await links.fetch(["003A", "006A"]) == {
        "003A": frozenset({"0PK1"}),
        "006A": frozenset({"0PK1", "0PK2"}),
    }
