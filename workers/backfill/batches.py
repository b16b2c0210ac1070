"""Keyed records appended straight into per-partition batches (aiokafka's `send_batch`), about
twice as fast as one `send()` per record. Partitions are chosen exactly like aiokafka's default
partitioner (murmur2 of the key over the sorted partitions), so a snapshot lands on the same
partition as the bridge's CDC messages for that record."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


@lru_cache(maxsize=64)
def _words(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}I")


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (as aiokafka's pure-Python one) reading 4-byte words at once: ~4x faster."""
    length = len(data)
    h = 0x9747B28C ^ length
    for word in _words(length >> 2).unpack_from(data):
        k = (word * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail, base = length & 3, length & ~3
    if tail >= 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h = ((h ^ data[base]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_for(key: bytes, partitions: list[int]) -> int:
    """aiokafka's `DefaultPartitioner` for a non-null key."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


class KeyedBatches:
    """`await add(key, value)`; `await flush()` sends the rest and waits for every ack
    (`await send()` sends the rest and returns the acknowledgement to await later)."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._partitions: list[int] = []
        self._open: dict[int, Any] = {}
        self._deliveries: list[asyncio.Future[Any]] = []

    async def add(self, key: bytes, value: bytes) -> None:
        await self.add_all([(key, value)])

    async def add_all(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Append every (key, value); batches that fill up are sent once all are appended."""
        if not self._partitions:
            self._partitions = sorted(await self._producer.partitions_for(self._topic))
        partitions, count = self._partitions, len(self._partitions)
        open_batches, create = self._open, self._producer.create_batch
        full: list[tuple[int, Any]] = []
        for key, value in items:
            partition = partitions[(murmur2(key) & 0x7FFFFFFF) % count]
            batch = open_batches.get(partition)
            if batch is None:
                batch = open_batches[partition] = create()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                full.append((partition, batch))
                batch = open_batches[partition] = create()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a {len(value)}-byte message does not fit in a batch")
        for partition, batch in full:
            await self._send(partition, batch)

    async def _send(self, partition: int, batch: Any) -> None:
        delivery = await self._producer.send_batch(batch, self._topic, partition=partition)
        self._deliveries.append(delivery)

    async def send(self) -> asyncio.Future[Any]:
        """Send the open batches; the result resolves once the broker acked everything so far.

        Each is closed first: aiokafka lets an open batch linger (`linger_ms`) before it goes
        out, and holds the partition's next batch until then, so a page's partly filled
        batches would delay the next page of every entity by the linger time."""
        for partition, batch in list(self._open.items()):
            if batch.record_count():
                batch.close()
                await self._send(partition, batch)
        self._open.clear()
        deliveries, self._deliveries = self._deliveries, []
        return asyncio.gather(*deliveries)

    async def flush(self) -> None:
        await (await self.send())
