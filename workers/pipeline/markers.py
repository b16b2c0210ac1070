"""Per-partition marker keys: Redis holds a partition's restorable data while its marker exists
(a flushed Redis loses the marker with the data; the restorer sets it again)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis.asyncio


async def unmarked(
    client: redis.asyncio.Redis, partitions: Iterable[int], marker: Callable[[int], str]
) -> list[int]:
    """The partitions whose marker key is gone (one EXISTS when all are there)."""
    wanted = sorted(partitions)
    if not wanted:
        return []
    if await client.exists(*[marker(p) for p in wanted]) == len(wanted):
        return []
    pipe = client.pipeline(transaction=False)
    for partition in wanted:
        pipe.exists(marker(partition))
    flags = await pipe.execute()
    return [p for p, flag in zip(wanted, flags, strict=True) if not flag]
