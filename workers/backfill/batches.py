"""Keyed records appended straight into per-partition batches (aiokafka's `send_batch`), about
twice as fast as one `send()` per record. Partitions are chosen exactly like aiokafka's default
partitioner (murmur2 of the key over the sorted partitions), so a snapshot lands on the same
partition as the bridge's CDC messages for that record."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]


def partition_for(key: bytes, partitions: list[int]) -> int:
    """aiokafka's `DefaultPartitioner` for a non-null key."""
    index: int = (murmur2(key) & 0x7FFFFFFF) % len(partitions)
    return partitions[index]


class KeyedBatches:
    """`await add(key, value)`; `await flush()` sends the rest and waits for every ack."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._partitions: list[int] = []
        self._open: dict[int, Any] = {}
        self._deliveries: list[asyncio.Future[Any]] = []

    async def add(self, key: bytes, value: bytes) -> None:
        if not self._partitions:
            self._partitions = sorted(await self._producer.partitions_for(self._topic))
        partition = partition_for(key, self._partitions)
        batch = self._open.get(partition)
        if batch is None:
            batch = self._open[partition] = self._producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:  # full
            await self._send(partition, batch)
            batch = self._open[partition] = self._producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a {len(value)}-byte message does not fit in a batch")

    async def _send(self, partition: int, batch: Any) -> None:
        delivery = await self._producer.send_batch(batch, self._topic, partition=partition)
        self._deliveries.append(delivery)

    async def flush(self) -> None:
        for partition, batch in list(self._open.items()):
            if batch.record_count():
                await self._send(partition, batch)
        self._open.clear()
        deliveries, self._deliveries = self._deliveries, []
        await asyncio.gather(*deliveries)
