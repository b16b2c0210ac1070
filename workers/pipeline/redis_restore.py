"""Rebuild what the worker keeps only in Redis from its Faust tables when Redis lost it.

- The wake-up schedule, from the `persons` table (each state has its next wake-up): without it
  a flushed Redis silently drops every expiry and reconfirmation alert of the persons who see no
  new event.
- The record links, from the `records` table (each image has its person): without them the
  contact points of Person Accounts and the Opportunities stay unresolved until the Account or
  the contact role changes again. A link the records agent removes while a restore runs may
  come back (the restore only adds); the record's next change corrects it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import orjson
import structlog

from handlers.resolve import image_link
from workers.pipeline.links import LinkStore
from workers.pipeline.outbox import key_hash
from workers.pipeline.scheduler import WakeupSchedule

log = structlog.get_logger("lawful.pipeline.restore")

YIELD_EVERY = 500  # states parsed between two yields to the event loop


def partition_of(key: bytes, partitions: int) -> int:
    """The partition aiokafka's default partitioner (the persons table's) gives `key`."""
    return key_hash(key) % partitions


def next_wakeup_of(state: bytes) -> float | None:
    """The `next_wakeup` of an encoded aggregate state, in epoch seconds."""
    value = orjson.loads(state).get("next_wakeup")
    return None if value is None else datetime.fromisoformat(value).timestamp()


async def _entries_of(
    items: Iterable[tuple[bytes, bytes]], wanted: set[int], partitions: int
) -> AsyncIterator[tuple[int, bytes, bytes]]:
    """(partition, key, value) of the table entries of the `wanted` partitions, yielding to the
    event loop now and then (the agents keep running meanwhile). Changelog markers (empty
    values, see `Pipeline.mark`) are not entries."""
    for count, (key, value) in enumerate(items, start=1):
        if value:
            partition = partition_of(key, partitions)
            if partition in wanted:
                yield partition, key, value
        if count % YIELD_EVERY == 0:
            await asyncio.sleep(0)


async def wakeups_in(
    items: Iterable[tuple[bytes, bytes]], wanted: set[int], partitions: int
) -> list[tuple[int, str, float]]:
    """(partition, Individual id, wake-up) of every table entry of the `wanted` partitions."""
    found: list[tuple[int, str, float]] = []
    async for partition, key, state in _entries_of(items, wanted, partitions):
        wakeup = next_wakeup_of(state)
        if wakeup is not None:
            found.append((partition, key.decode(), wakeup))
    return found


async def links_in(
    items: Iterable[tuple[bytes, bytes]], wanted: set[int], partitions: int
) -> list[tuple[str, str]]:
    """The (key, Individual id) link of every record image of the `wanted` partitions."""
    found: list[tuple[str, str]] = []
    async for _partition, _key, data in _entries_of(items, wanted, partitions):
        image = orjson.loads(data)
        link = image_link(
            image["entity"],
            image["record_id"],
            image.get("fields") or {},
            image.get("individual_id"),
            deleted=bool(image.get("deleted")),
        )
        if link is not None:
            found.append(link)
    return found


class RedisRestore:
    """Called by the worker's timer once its tables are recovered: restores what Redis lost."""

    def __init__(
        self,
        schedule: WakeupSchedule,
        links: LinkStore,
        *,
        persons: Any,
        records: Any,
        partitions: int,
    ) -> None:
        self._schedule = schedule
        self._links = links
        self._persons = persons  # Faust tables (memory store: `.data` holds our partitions)
        self._records = records
        self._partitions = partitions

    async def run(self, person_partitions: list[int], record_partitions: list[int]) -> None:
        """Our partitions of lawful.person-events.v1 and of lawful.sf-cdc.v1."""
        lost = await self._schedule.lost(person_partitions)
        if lost:
            items = list(self._persons.data.items())  # a copy: the agent writes meanwhile
            entries = await wakeups_in(items, set(lost), self._partitions)
            restored = await self._schedule.restore(lost, entries)
            log.warning("wakeups_restored", partitions=lost, persons=restored)
        lost = await self._links.lost(record_partitions)
        if lost:
            items = list(self._records.data.items())
            links = await links_in(items, set(lost), self._partitions)
            await self._links.restore(lost, links)
            log.warning("links_restored", partitions=lost, links=len(links))
