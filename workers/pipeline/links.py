"""Record -> Individual links shared by all workers (Redis sets), for records that name their
person only through another record (Opportunity -> contact role -> Contact -> Individual)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping

import redis.asyncio

from workers.pipeline.markers import unmarked


class RecordingLinks(Mapping[str, Collection[str]]):
    """A read-only view over fetched links that remembers which keys it could not answer."""

    def __init__(self, known: Mapping[str, frozenset[str]]) -> None:
        self._known = dict(known)
        self.missing: set[str] = set()

    def __getitem__(self, key: str) -> Collection[str]:
        try:
            return self._known[key]
        except KeyError:
            self.missing.add(key)
            raise

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


RESTORE_CHUNK = 5000  # links per pipeline when a lost link store is restored


class LinkStore:
    """`{prefix}links:<key>` = the set of Individual ids linked to that record key;
    `{prefix}links-kept:<partition>` marks the CDC partitions whose links Redis holds."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._client = client
        self._prefix = f"{key_prefix}links:"
        self._marker = f"{key_prefix}links-kept:"

    def marker(self, partition: int) -> str:
        return f"{self._marker}{partition}"

    async def lost(self, partitions: Iterable[int]) -> list[int]:
        """The records partitions whose links Redis no longer holds (flushed, or never marked)."""
        return await unmarked(self._client, partitions, self.marker)

    async def restore(self, partitions: Iterable[int], links: list[tuple[str, str]]) -> None:
        """Add the (key, Individual id) links read from the records table, then mark."""
        for start in range(0, len(links), RESTORE_CHUNK):
            pipe = self._client.pipeline(transaction=False)
            for key, individual_id in links[start : start + RESTORE_CHUNK]:
                pipe.sadd(self._prefix + key, individual_id)
            await pipe.execute()
        pipe = self._client.pipeline(transaction=False)
        for partition in partitions:
            pipe.set(self.marker(partition), "1")
        await pipe.execute()

    async def fetch(self, keys: Iterable[str]) -> dict[str, frozenset[str]]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for key in wanted:
            pipe.smembers(self._prefix + key)
        rows = await pipe.execute()
        return {
            key: frozenset(m.decode() if isinstance(m, bytes) else str(m) for m in members)
            for key, members in zip(wanted, rows, strict=True)
        }

    async def apply(self, changes: Iterable[tuple[str, str, bool]]) -> None:
        """(key, individual id, linked) triples: add or remove each link."""
        pipe = self._client.pipeline(transaction=False)
        count = 0
        for key, individual_id, linked in changes:
            if linked:
                pipe.sadd(self._prefix + key, individual_id)
            else:
                pipe.srem(self._prefix + key, individual_id)
            count += 1
        if count:
            await pipe.execute()
