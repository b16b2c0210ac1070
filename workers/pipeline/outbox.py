"""The agents' outputs of one batch, produced as whole aiokafka record batches per topic partition.

Faust's `send_soon` buffer hands messages to aiokafka one at a time through a queue task, and its
`flush` waits for them one by one: about 100 us per output, and a person message has about seven
outputs. Here a batch's outputs are grouped by topic partition (the partition Faust's producer
would pick for the key) and appended to `BatchBuilder`s (public aiokafka API); `flush` submits them
and waits until the broker has acknowledged every one, raising the first delivery failure.
A topic's partition list is read once per process (restart workers after adding partitions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]


def key_hash(key: bytes) -> int:
    """aiokafka's DefaultPartitioner (Faust's unless producer_partitioner is set) puts `key` on
    sorted(partitions)[key_hash(key) % count]."""
    return int(murmur2(key) & 0x7FFFFFFF)


class _Alone(NamedTuple):
    """A row produced as a record batch of its own (`Outbox.send_alone`)."""

    key: bytes | None
    value: bytes | None


PARTITION_CACHE_MAX = 65536
"""Cached key hashes or (topic, key) partitions kept between batches (dropped when full)."""


class Outbox:
    """`send()` groups outputs by topic partition; `flush()` produces them and waits for acks."""

    def __init__(self, producer: Callable[[], Any], *, default_partitioner: bool = False) -> None:
        self._producer = producer  # the Faust producer (started by the time anything is sent)
        self._pending: dict[tuple[str, int], list[tuple[bytes | None, bytes | None]]] = {}
        self._partitions: dict[tuple[str, bytes], int] = {}
        # the default partitioner (`key_hash`): one hash per key for all topics
        self._default_partitioner = default_partitioner
        self._hashes: dict[bytes, int] = {}
        self._known_topics: dict[str, list[int]] = {}
        self._flushing = asyncio.Lock()

    @property
    def pending(self) -> int:
        return sum(len(rows) for rows in self._pending.values())

    async def send(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """Keep one message for `topic` (the full topic name; None value: a tombstone)."""
        self.send_to(topic, await self.partition_for(topic, key), key, value)

    async def partition_for(self, topic: str, key: bytes | None) -> int:
        """The partition of `topic` that Faust's producer would pick for `key`."""
        partitions = self._known_topics.get(topic)
        if key is not None and partitions and self._default_partitioner:
            hashed = self._hashes.get(key)
            if hashed is None:
                if len(self._hashes) >= PARTITION_CACHE_MAX:
                    self._hashes.clear()
                hashed = self._hashes[key] = key_hash(key)
            return partitions[hashed % len(partitions)]
        cached = self._partitions.get((topic, key)) if key is not None else None
        return await self._partition(topic, key) if cached is None else cached

    def send_to(self, topic: str, partition: int, key: bytes | None, value: bytes | None) -> None:
        """Keep one message for `topic`'s `partition`."""
        rows = self._pending.get((topic, partition))
        if rows is None:
            rows = self._pending[(topic, partition)] = []
        rows.append((key, value))

    def send_alone(self, topic: str, partition: int, key: bytes | None, value: bytes) -> None:
        """Keep one message for `topic`'s `partition` that goes out as a record batch of its
        own, behind every message kept before it for that partition (a changelog marker)."""
        self._pending.setdefault((topic, partition), []).append(_Alone(key, value))

    async def _partition(self, topic: str, key: bytes | None) -> int:
        producer = self._producer()
        if topic not in self._known_topics:
            known = await producer._ensure_producer().partitions_for(topic)  # loads metadata
            self._known_topics[topic] = sorted(known)
        partition = int(producer.key_partition(topic, key).partition)
        if key is not None:
            if len(self._partitions) >= PARTITION_CACHE_MAX:
                self._partitions.clear()
            self._partitions[(topic, key)] = partition
        return partition

    async def flush(self) -> None:
        """Produce every kept message, in order per topic partition, and wait for the acks.

        Agents share the outbox: one agent's flush may take another's messages. The lock makes
        every flush return only once everything kept before it was acknowledged, whoever sent it
        (without it, the second agent would find nothing pending, return at once and commit its
        batch while its outputs were still in flight).
        """
        async with self._flushing:
            await self._flush_pending()

    async def _flush_pending(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        client = self._producer()._ensure_producer()
        deliveries = [
            await client.send_batch(batch, topic, partition=partition)
            for (topic, partition), rows in pending.items()
            for batch in _batches(client, rows)
        ]
        for delivery in deliveries:
            await delivery


def _batches(client: Any, rows: list[tuple[bytes | None, bytes | None]]) -> Iterator[Any]:
    """`rows` in order as closed record batches (a row sent alone: a batch of its own).

    Closed, because aiokafka lets an open batch linger (`linger_ms`) before it goes out and
    holds the partition's next batch until then: a flush waits for its batches anyway."""
    batch = client.create_batch()
    for row in rows:
        key, value = row
        if type(row) is _Alone:
            if batch.record_count():
                yield _closed(batch)
            batch = client.create_batch()
            batch.append(key=key, value=value, timestamp=None)
            yield _closed(batch)
            batch = client.create_batch()
        elif batch.append(key=key, value=value, timestamp=None) is None:
            yield _closed(batch)
            batch = client.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a message of {len(value or b'')} bytes exceeds a batch")
    if batch.record_count():
        yield _closed(batch)


def _closed(batch: Any) -> Any:
    batch.close()
    return batch
