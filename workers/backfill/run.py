"""Backfill: every record of the chosen entities as a SNAPSHOT message on lawful.sf-cdc.v1.

Safe beside a running bridge: snapshots carry the record's `LastModifiedDate` as their commit
time, so the record replica skips a snapshot older than the image it already holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from workers.backfill.progress import Progress
from workers.backfill.reader import pages
from workers.backfill.shape import snapshot_event
from workers.bridge.messages import CDC_TOPIC
from workers.salesforce.rest import SimpleSalesforceRest


class Producer(Protocol):
    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]: ...


async def backfill(
    rest: SimpleSalesforceRest,
    producer: Producer,
    entities: Sequence[str],
    *,
    since: datetime | None = None,
    page_size: int = 2000,
    topic_prefix: str = "",
    progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, int]:
    """Produce one snapshot per record; returns the count per entity once the broker acked."""
    topic = f"{topic_prefix}{CDC_TOPIC}"
    counts: dict[str, int] = {}
    for entity in entities:
        counts[entity] = 0
        started = False
        async for page in pages(rest, entity, since=since, page_size=page_size):
            if progress is not None and not started:
                progress.start(entity, page.total)
                started = True
            received_at = clock()
            deliveries = []
            for record in page.records:
                event = snapshot_event(entity, record, received_at=received_at)
                value = event.model_dump_json().encode()
                key = str(event.record_id).encode()
                deliveries.append(await producer.send(topic, value=value, key=key))
            await asyncio.gather(*deliveries)
            counts[entity] += len(page.records)
            if progress is not None:
                progress.advance(len(page.records))
        if progress is not None:
            if not started:
                progress.start(entity, 0)
            progress.finish()
    return counts
