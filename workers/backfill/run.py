"""Backfill: every record of the chosen entities as a SNAPSHOT message on lawful.sf-cdc.v1.

Safe beside a running bridge: snapshots carry the record's `LastModifiedDate` as their commit
time, so the record replica skips a snapshot older than the image it already holds. Entities are
read `concurrency` at a time, so the org serves one while lawful produces another.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]

from workers.backfill.batches import KeyedBatches
from workers.backfill.gc_pause import fewer_collections
from workers.backfill.progress import BackfillProgress
from workers.backfill.reader import Page, pages
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
    per entity), so waiting for the broker overlaps with shaping the next page. An entity holds
    one of the `concurrency` slots while its query is being read (an open query locator); its
    last page is shaped and produced after the slot went to the next entity."""
    topic = f"{topic_prefix}{CDC_TOPIC}"
    slots = asyncio.Semaphore(concurrency)

    async def one(entity: str) -> int:
        count = 0
        batches = KeyedBatches(producer, topic)
        in_flight: tuple[asyncio.Future[Any], int] | None = None
        first = True

        async def settle() -> None:
            nonlocal count, in_flight
            if in_flight is not None:
                acked, size = in_flight
                in_flight = None
                await acked  # acknowledged before it counts
                count += size
                if progress is not None:
                    progress.advance(size)

        async def produce(page: Page) -> None:
            nonlocal in_flight, first
            if progress is not None:
                if first:
                    progress.add_total(page.total)
                progress.read(len(page.records))
            first = False
            await batches.add_all(snapshot_values(entity, page.records, received_at=clock()))
            sent = await batches.send()
            await settle()
            in_flight = (sent, len(page.records))

        last: Page | None = None
        entity_pages = pages(rest, entity, since=since, page_size=page_size)
        async with slots, contextlib.aclosing(entity_pages):  # the org serves this query
            async for page in entity_pages:
                if page.last:
                    last = page
                    break
                await produce(page)
        if last is not None:  # shaped and produced while the next entity is read
            await produce(last)
        await settle()
        if progress is not None:
            progress.entity_done(entity)
        return count

    with fewer_collections():  # each page's records live until produced (gc_pause.py)
        counts = await asyncio.gather(*(one(entity) for entity in entities))
    if progress is not None:
        progress.finish()
    return dict(zip(entities, counts, strict=True))
