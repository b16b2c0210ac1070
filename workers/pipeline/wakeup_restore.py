"""Rebuild the wake-up schedule from the `persons` table when Redis lost it.

The schedule lives only in Redis; the persons' states (with their next wake-up) live in the
Faust table, backed by its changelog. Without this, a flushed Redis would silently drop every
expiry and reconfirmation alert of the persons who see no new event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

import orjson
from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]

YIELD_EVERY = 500  # states parsed between two yields to the event loop


def partition_of(key: bytes, partitions: int) -> int:
    """The partition aiokafka's default partitioner (the persons table's) gives `key`."""
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


def next_wakeup_of(state: bytes) -> float | None:
    """The `next_wakeup` of an encoded aggregate state, in epoch seconds."""
    value = orjson.loads(state).get("next_wakeup")
    return None if value is None else datetime.fromisoformat(value).timestamp()


async def wakeups_in(
    items: Iterable[tuple[bytes, bytes]], wanted: set[int], partitions: int
) -> list[tuple[int, str, float]]:
    """(partition, Individual id, wake-up) of every table entry of the `wanted` partitions."""
    found: list[tuple[int, str, float]] = []
    for count, (key, state) in enumerate(items, start=1):
        if not state:  # a changelog marker (empty value, see `Pipeline.mark`), not a person
            continue
        partition = partition_of(key, partitions)
        if partition in wanted:
            wakeup = next_wakeup_of(state)
            if wakeup is not None:
                found.append((partition, key.decode(), wakeup))
        if count % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # the agents keep running meanwhile
    return found
