"""Binds the pure engine (`handlers.records`, `handlers.aggregate`, `handlers.purposes`) to the
agents' ports: encodes table values, resolves record links through Redis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.aggregate import step_person_batch
from handlers.purposes import purpose_from_fields
from handlers.records import RecordUpdate, apply_salesforce_event
from schemas.aggregate import dump_state, load_state
from schemas.fast_json import dump_json
from schemas.messages import PersonMessage, SalesforceEvent
from schemas.policy import Policy
from schemas.records import RecordImage
from workers.pipeline.links import LinkStore, RecordingLinks
from workers.pipeline.ports import (
    CatalogueRecord,
    EngineBinding,
    PersonResult,
    RecordResult,
    ResyncOrder,
)

MAX_LINK_ROUNDS = 3


def encode_image(image: RecordImage) -> bytes:
    return dump_json(image)


def decode_image(data: bytes) -> RecordImage:
    return RecordImage.model_validate_json(data)


def _catalogue(update: RecordUpdate) -> CatalogueRecord | None:
    image = update.image
    if not update.catalogue or image is None:
        return None
    return CatalogueRecord(image.entity, image.record_id, None if image.deleted else image.fields)


def _result(update: RecordUpdate) -> RecordResult:
    image, resync = update.image, update.resync
    return RecordResult(  # positional (image, messages, resync, catalogue, unresolved): cheaper
        None if image is None else encode_image(image),
        update.messages,
        None
        if resync is None
        else ResyncOrder(resync.entity, tuple(resync.record_ids), resync.reason),
        _catalogue(update) if update.catalogue else None,
        update.unresolved,
    )


class RecordsEngine:
    """`apply_salesforce_event` with links fetched from Redis on demand (pure call repeated)."""

    def __init__(self, links: LinkStore | None) -> None:
        self._links = links

    async def __call__(
        self, image_data: bytes | None, event: SalesforceEvent, record_id: str
    ) -> RecordResult:
        image = None if image_data is None else decode_image(image_data)
        known: dict[str, frozenset[str]] = {}
        for round_ in range(1, MAX_LINK_ROUNDS + 1):
            links = RecordingLinks(known)
            update = apply_salesforce_event(image, event, record_id, links=links)
            if not links.missing or self._links is None or round_ == MAX_LINK_ROUNDS:
                break
            known.update(await self._links.fetch(links.missing))
        if self._links is not None and update.links:
            await self._links.apply((c.key, c.individual_id, c.linked) for c in update.links)
        return _result(update)


def step(
    state_data: bytes | None, messages: Sequence[PersonMessage], now: datetime, policy: Policy
) -> PersonResult:
    """`step_person_batch` over the encoded table value."""
    state = None if state_data is None else load_state(state_data)
    new_state, output = step_person_batch(state, messages, now=now, policy=policy)
    return PersonResult(
        state=dump_state(new_state),
        snapshot=output.snapshot,
        changes=output.changes,
        audit=output.audit,
        alerts=output.alerts,
        next_wakeup=output.next_wakeup,
    )


def engine_binding(links: LinkStore | None) -> EngineBinding:
    """The real engine for `Pipeline`."""
    return EngineBinding(
        apply_record=RecordsEngine(links),
        step_person=step,
        purpose_from_fields=purpose_from_fields,
    )
