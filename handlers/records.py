"""The record replica: apply one Salesforce CDC event to a record image (salesforce.md §3, §9).

CREATE/UNDELETE/SNAPSHOT carry the full image; UPDATE only changed fields (`null` = nulled,
absent = unchanged; compound Name/*Address arrive nested and are flattened); DELETE keeps the
image marked deleted; GAP_* and GAP_OVERFLOW carry no data and ask for a re-read. A change
older than the image, or the same (transactionKey, sequenceNumber) again, changes nothing. The
write-back's own change (handlers.loop_guard) updates the image but tells no person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from handlers.fast_models import construct, maker
from handlers.loop_guard import is_own_writeback
from handlers.mapping import basis_change, person_messages, removal_message
from handlers.mapping_base import record_change
from handlers.mapping_lawful import erasure_platform_event
from handlers.resolve import CATALOGUE, Links, link_changes, persons_of
from handlers.sf_values import epoch_ms, instant
from schemas.events import BasisChangeRequested
from schemas.messages import PersonMessage, SalesforceEvent
from schemas.records import LinkChange, RecordImage, ResyncRequest

_FULL = frozenset({"CREATE", "UNDELETE", "SNAPSHOT"})
_SKIPPED_ORDER = ("ChangeEventHeader", "attributes", "Id")
_SKIPPED_KEYS = frozenset(_SKIPPED_ORDER)


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    """What one event did: the new image, messages for persons, and requests for the worker."""

    image: RecordImage | None
    messages: tuple[PersonMessage, ...] = ()
    resync: ResyncRequest | None = None
    unresolved: str | None = None
    links: tuple[LinkChange, ...] = ()
    catalogue: bool = False  # a purpose / LIA changed: refresh the purpose catalogue
    basis_change: BasisChangeRequested | None = None  # for every person of the purpose


_make_update = maker(RecordUpdate)


def _update(  # noqa: PLR0917 - hot path: positional, one argument per field
    image: RecordImage | None,
    messages: tuple[PersonMessage, ...],
    resync: ResyncRequest | None,
    unresolved: str | None,
    links: tuple[LinkChange, ...],
    catalogue: bool,
    basis_change: BasisChangeRequested | None,
) -> RecordUpdate:
    """`RecordUpdate(...)` with every field, without the frozen `__init__`."""
    return _make_update(image, messages, resync, unresolved, links, catalogue, basis_change)


def flatten(payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Body fields with compound values flattened; True when a large-text diff was seen."""
    plain = payload.copy()
    for name in _SKIPPED_ORDER:
        plain.pop(name, None)
    if dict not in map(type, plain.values()):
        return plain, False  # no compound value: every body field as it came, in its order
    fields: dict[str, Any] = {}
    diff = False
    for name, value in payload.items():
        if name in _SKIPPED_KEYS:
            continue
        if type(value) is not dict:
            fields[name] = value
        elif "diff" in value and len(value) == 1:
            diff = True  # §3.6: re-read the record rather than patch text
        elif name == "Name":
            fields.update(value)
        elif name.endswith("Address"):
            prefix = name[: -len("Address")]
            for part, component in value.items():  # REST renders components lower-case
                fields[f"{prefix}{part[:1].upper()}{part[1:]}"] = component
        else:
            fields[name] = value
    return fields, diff


def _commit_ms(header: dict[str, Any], fields: dict[str, Any]) -> int:
    value = header.get("commitTimestamp")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    moment = instant(fields, "SystemModstamp") or instant(fields, "LastModifiedDate")
    return epoch_ms(moment) if moment is not None else 0


def _platform_event(event: SalesforceEvent) -> RecordUpdate:
    if event.channel.endswith("Lawful_Erasure_Request__e"):
        message = erasure_platform_event(event.payload, event.received_at, event.replay_id)
        if message is None:
            return RecordUpdate(None, unresolved="platform event without Individual_Id__c")
        return RecordUpdate(None, messages=(message,))
    return RecordUpdate(None, unresolved=f"platform event {event.channel} is not an input")


def apply_salesforce_event(
    image: RecordImage | None,
    event: SalesforceEvent,
    record_id: str,
    *,
    links: Links | None = None,
) -> RecordUpdate:
    """Apply one event for `record_id`; `links` resolves records without an Individual lookup
    (Contact/Account id -> Individual ids, Opportunity id -> Individual ids)."""
    payload = event.payload
    header = payload.get("ChangeEventHeader")
    if not isinstance(header, dict):
        return _platform_event(event)
    entity = str(header.get("entityName") or event.entity or "")
    change = str(event.change_type or header.get("changeType") or "")
    if change == "GAP_OVERFLOW":
        return RecordUpdate(image, resync=ResyncRequest(entity=entity, reason=change))
    if change.startswith("GAP_"):
        request = ResyncRequest(entity=entity, record_ids=(record_id,), reason=change)
        return RecordUpdate(image, resync=request)
    body, diff = flatten(payload)
    commit_ms = _commit_ms(header, body)
    key = header.get("transactionKey")
    change_key = f"{key}:{header.get('sequenceNumber')}" if key else None
    if image is not None and _already_applied(image, event, change_key, commit_ms):
        return RecordUpdate(image)
    update = _apply(
        image, event, record_id, entity, change, body, diff, commit_ms, change_key, links
    )
    # `is_own_writeback` is False for anything but an UPDATE: asked only then
    if update.messages and header.get("changeType") == "UPDATE" and is_own_writeback(event):
        # lawful's own write-back: the image follows Salesforce, the persons hear nothing
        return replace(update, messages=())
    return update


def _already_applied(
    image: RecordImage, event: SalesforceEvent, change_key: str | None, commit_ms: int
) -> bool:
    if change_key is not None and change_key == image.last_change:
        return True  # duplicate delivery
    if commit_ms < image.last_commit_ms:
        return True  # stale: the image is newer (pitfall 1)
    replay, last = event.replay_id, image.last_replay_id
    return (
        commit_ms == image.last_commit_ms
        and replay is not None
        and last is not None
        and replay <= last
    )


def _apply(  # noqa: PLR0917 - hot path: positional arguments are cheaper
    image: RecordImage | None,
    event: SalesforceEvent,
    record_id: str,
    entity: str,
    change: str,
    body: dict[str, Any],
    diff: bool,
    commit_ms: int,
    change_key: str | None,
    links: Links | None,
) -> RecordUpdate:
    known = image is not None and image.entity == entity
    old_fields = image.fields if image is not None and known else None
    resync: ResyncRequest | None = None
    if change in _FULL:
        fields, deleted = body, False
    elif change == "UPDATE":
        fields, deleted = ({**old_fields, **body} if old_fields is not None else body), False
        if old_fields is None:
            resync = ResyncRequest(
                entity=entity, record_ids=(record_id,), reason="UPDATE_WITHOUT_IMAGE"
            )
    elif change == "DELETE":
        fields, deleted = (old_fields or {}), True
    else:
        return RecordUpdate(image, unresolved=f"unknown change type {change[:40]!r}")
    if diff:
        resync = ResyncRequest(entity=entity, record_ids=(record_id,), reason="LARGE_TEXT_DIFF")
    old_persons = image.persons if known and image is not None else ()
    new_persons = old_persons if deleted else persons_of(entity, record_id, fields, links)
    replay_id = event.replay_id
    new_image = construct(
        RecordImage,
        {
            "entity": entity,
            "record_id": record_id,
            "fields": fields,
            "deleted": deleted,
            "last_commit_ms": max(commit_ms, image.last_commit_ms if image is not None else 0),
            "last_replay_id": replay_id
            if replay_id is not None
            else (image.last_replay_id if image else None),
            "individual_id": new_persons[0] if new_persons else None,
            "persons": new_persons,
            "last_change": change_key,
        },
    )
    was_deleted = image.deleted if image is not None and known else True
    messages: list[PersonMessage] = []
    for person in new_persons:  # what each person of the record is told (RecordChange per person)
        before = old_fields if person in old_persons and not was_deleted else None
        change_of = record_change(
            entity, record_id, before, fields, deleted, commit_ms, replay_id, person
        )
        messages.extend(person_messages(change_of))
    for person in old_persons:
        if person not in new_persons:  # re-parented or merged away: a deleted record fact
            old = old_fields or {}
            gone = record_change(
                entity, record_id, old_fields, old, True, commit_ms, replay_id, person
            )
            messages.append(removal_message(gone))
    linked_before = old_persons[0] if old_persons and not was_deleted else None
    old_link = (old_fields, linked_before) if old_fields is not None else None
    new_link = (fields, None if deleted else (new_persons[0] if new_persons else None))
    link_updates = link_changes(entity, record_id, old_link, new_link)
    if entity == "OpportunityContactRole" and any(link.linked for link in link_updates):
        opportunity = fields.get("OpportunityId")  # its image may have had no person yet
        if isinstance(opportunity, str):
            resync = ResyncRequest(
                entity="Opportunity", record_ids=(opportunity,), reason="LINKED_BY_CONTACT_ROLE"
            )
    catalogue = entity in CATALOGUE
    unresolved = None if new_persons or catalogue else f"{entity} {record_id}: no person"
    basis = None
    if entity == "DataUsePurpose":
        basis = basis_change(
            record_change(entity, record_id, old_fields, fields, deleted, commit_ms, replay_id, "")
        )
    return _update(new_image, tuple(messages), resync, unresolved, link_updates, catalogue, basis)
