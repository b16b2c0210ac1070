"""Backfill: every record of the chosen entities as a SNAPSHOT message on lawful.sf-cdc.v1.

Safe beside a running bridge: snapshots carry the record's `LastModifiedDate` as their commit
time, so the record replica skips a snapshot older than the image it already holds. Entities are
read `concurrency` at a time, so the org serves one while lawful produces another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]

from workers.backfill.batches import KeyedBatches
from workers.backfill.progress import BackfillProgress
from workers.backfill.reader import pages
from workers.backfill.shape import snapshot_values
from workers.bridge.messages import CDC_TOPIC
from workers.salesforce.rest import SimpleSalesforceRest


async def backfill(
    rest: SimpleSalesforceRest,
    producer: AIOKafkaProducer,
    entities: Sequence[str],
    *,
    since: datetime | None = None,
    page_size: int = 2000,
    topic_prefix: str = "",
    progress: BackfillProgress | None = None,
    concurrency: int = 4,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, int]:
    """Produce one snapshot per record; returns the count per entity once the broker acked.

    A page's acknowledgement is awaited after the next page is produced (one page in flight
    per entity), so waiting for the broker overlaps with shaping the next page."""
    topic = f"{topic_prefix}{CDC_TOPIC}"
    slots = asyncio.Semaphore(concurrency)

    async def one(entity: str) -> int:
        count = 0
        batches = KeyedBatches(producer, topic)
        in_flight: tuple[asyncio.Future[Any], int] | None = None

        async def settle() -> None:
            nonlocal count, in_flight
            if in_flight is not None:
                acked, size = in_flight
                in_flight = None
                await acked  # acknowledged before it counts
                count += size
                if progress is not None:
                    progress.advance(size)

        async with slots:
            first = True
            async for page in pages(rest, entity, since=since, page_size=page_size):
                if progress is not None:
                    if first:
                        progress.add_total(page.total)
                    progress.read(len(page.records))
                first = False
                await batches.add_all(snapshot_values(entity, page.records, received_at=clock()))
                sent = await batches.send()
                await settle()
                in_flight = (sent, len(page.records))
        await settle()  # the next entity starts reading meanwhile
        if progress is not None:
            progress.entity_done(entity)
        return count

    counts = await asyncio.gather(*(one(entity) for entity in entities))
    if progress is not None:
        progress.finish()
    return dict(zip(entities, counts, strict=True))
