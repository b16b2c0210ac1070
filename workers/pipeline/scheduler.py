"""Wake-up schedule: one Redis sorted set of Individual ids per person-events partition, scored by
`next_wakeup` (epoch seconds). Each worker scans the partitions it owns and sends TICK messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import cast

import redis.asyncio

from schemas.fast_json import dump_json
from schemas.messages import PersonMessage
from workers.pipeline.markers import unmarked
from workers.pipeline.ports import Send

# Remove members only if their score is still the one we sent a TICK for: the persons agent may
# have re-scheduled the person in between, and that newer wake-up must survive.
_REMOVE_IF_UNCHANGED = """
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
"""


RESTORE_CHUNK = 5000  # members per ZADD when a lost schedule is restored


class WakeupSchedule:
    """`schedule()` from the persons agent; `due()`/`done()` from the timer."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._client = client
        self._prefix = f"{key_prefix}wakeups:"
        self._remove = client.register_script(_REMOVE_IF_UNCHANGED)
        self._pending: dict[tuple[int, str], datetime | None] = {}

    def key(self, partition: int) -> str:
        return f"{self._prefix}{partition}"

    async def schedule(self, individual_id: str, partition: int, when: datetime | None) -> None:
        """Set (or clear, when `when` is None) the person's next wake-up, at the next `flush`."""
        self._pending[(partition, individual_id)] = when

    async def flush(self) -> None:
        """Write the pending wake-ups in one pipeline (the last one per person wins)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        adds: dict[int, dict[str, float]] = {}
        removes: dict[int, list[str]] = {}
        for (partition, individual_id), when in pending.items():
            if when is None:
                removes.setdefault(partition, []).append(individual_id)
            else:
                adds.setdefault(partition, {})[individual_id] = when.timestamp()
        pipe = self._client.pipeline(transaction=False)  # one ZADD / ZREM per partition
        for partition, members in adds.items():
            pipe.zadd(self.key(partition), members)
        for partition, gone in removes.items():
            pipe.zrem(self.key(partition), *gone)
        await pipe.execute()

    def marker(self, partition: int) -> str:
        return f"{self._prefix}{partition}:kept"

    async def lost(self, partitions: Iterable[int]) -> list[int]:
        """The partitions whose schedule Redis no longer holds (flushed, or never written):
        their marker, set when a schedule is restored, is gone."""
        return await unmarked(self._client, partitions, self.marker)

    async def restore(
        self, partitions: Iterable[int], entries: Iterable[tuple[int, str, float]]
    ) -> int:
        """Add the wake-ups `(partition, individual id, epoch seconds)` read from the persons
        table, keeping any the persons agent wrote meanwhile (NX), then mark the partitions."""
        by_partition: dict[int, dict[str, float]] = {}
        for partition, individual_id, score in entries:
            by_partition.setdefault(partition, {})[individual_id] = score
        pipe = self._client.pipeline(transaction=False)
        for partition, members in by_partition.items():
            items = list(members.items())
            for start in range(0, len(items), RESTORE_CHUNK):
                pipe.zadd(self.key(partition), dict(items[start : start + RESTORE_CHUNK]), nx=True)
        for partition in partitions:
            pipe.set(self.marker(partition), "1")
        await pipe.execute()
        return sum(len(members) for members in by_partition.values())

    async def due(
        self, partition: int, now: datetime, limit: int = 1000
    ) -> list[tuple[str, float]]:
        """Ids whose wake-up is at or before `now`, with their scores (oldest first)."""
        rows = await self._client.zrangebyscore(
            self.key(partition), "-inf", now.timestamp(), start=0, num=limit, withscores=True
        )
        pairs = cast(list[tuple[bytes | str, float]], rows)
        return [
            (member.decode() if isinstance(member, bytes) else str(member), float(score))
            for member, score in pairs
        ]

    async def done(self, partition: int, entries: Iterable[tuple[str, float]]) -> int:
        """Forget the wake-ups a TICK was sent for, unless they were re-scheduled since."""
        args: list[str | float] = []
        for member, score in entries:
            args.extend((member, repr(score)))
        if not args:
            return 0
        return int(await self._remove(keys=[self.key(partition)], args=args))


def tick_message(individual_id: str, now: datetime) -> PersonMessage:
    return PersonMessage(individual_id=individual_id, kind="TICK", tick_at=now)


async def send_due_ticks(
    schedule: WakeupSchedule,
    partitions: Iterable[int],
    send: Send,
    topic: str,
    *,
    flush: Callable[[], Awaitable[None]],
    now: datetime | None = None,
) -> int:
    """One scan: a TICK for every due person of `partitions`; returns how many were sent.

    A wake-up is forgotten only after `flush` has put its TICK on the broker: a crash in between
    sends the TICK again at the next scan (the persons agent ignores a TICK with nothing due),
    never loses it.
    """
    now = now or datetime.now(UTC)
    sent = 0
    for partition in partitions:
        entries = await schedule.due(partition, now)
        for individual_id, _score in entries:
            message = tick_message(individual_id, now)
            await send(topic, individual_id, dump_json(message))
        if entries:
            await flush()
        await schedule.done(partition, entries)
        sent += len(entries)
    return sent
