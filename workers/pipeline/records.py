"""The record replica step: one lawful.sf-cdc.v1 message -> record image, person messages,
catalogue updates and (for gap / overflow / expired replay) a REST re-read fed back as input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

import structlog

from schemas.fast_json import dump_json
from schemas.messages import SalesforceEvent
from workers.pipeline.dlq import Origin
from workers.pipeline.ports import ApplyRecord, CatalogueRecord, RecordReader, ResyncOrder, Send
from workers.pipeline.resync import reread

log = structlog.get_logger("lawful.pipeline.records")

CDC_TOPIC = "lawful.sf-cdc.v1"
PERSON_EVENTS_TOPIC = "lawful.person-events.v1"


def record_key(event: SalesforceEvent, key: bytes | None) -> str:
    """The replica key: the record id, else the message key (GAP_OVERFLOW: the entity)."""
    if event.record_id:
        return event.record_id
    if key:
        return key.decode("utf-8", errors="replace")
    return event.entity or event.channel


class RecordsProcessor:
    """Applies CDC messages to the `records` table (key record id -> encoded RecordImage)."""

    def __init__(
        self,
        apply_record: ApplyRecord,
        send: Send,
        *,
        reader: RecordReader | None = None,
        on_catalogue: Callable[[CatalogueRecord], Awaitable[None]] | None = None,
        on_resync: Callable[[ResyncOrder], None] | None = None,
    ) -> None:
        self._apply = apply_record
        self._send = send
        self._reader = reader
        self._on_catalogue = on_catalogue
        self._on_resync = on_resync

    async def handle(self, origin: Origin, table: MutableMapping[str, bytes]) -> None:
        event = SalesforceEvent.model_validate_json(origin.value or b"")
        key = record_key(event, origin.key)
        result = await self._apply(table.get(key), event, key)
        for message in result.messages:
            await self._send(PERSON_EVENTS_TOPIC, message.individual_id, dump_json(message))
        if result.unresolved is not None:
            log.info("record_unresolved", entity=event.entity, detail=result.unresolved[:200])
        if result.resync is not None:
            await self._resync(result.resync)
        if result.catalogue is not None and self._on_catalogue is not None:
            await self._on_catalogue(result.catalogue)
        if result.image is None:
            table.pop(key, None)
        else:
            table[key] = result.image

    async def _resync(self, order: ResyncOrder) -> None:
        if self._on_resync is not None:
            self._on_resync(order)
        if self._reader is None:
            log.warning("resync_skipped", entity=order.entity, reason=order.reason)
            return
        events = await reread(self._reader, order)
        for event in events:
            await self._send(CDC_TOPIC, event.record_id, dump_json(event))
        log.info(
            "resync_done",
            entity=order.entity,
            reason=order.reason,
            requested=len(order.record_ids),
            produced=len(events),
        )
