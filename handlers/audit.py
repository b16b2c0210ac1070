"""Hash-chained audit events (§5.2): each entry stores the hash of the previous one."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import orjson

from handlers.fast_models import maker
from schemas.codes import AuditType
from schemas.enums import Basis, Channel
from schemas.events import BaseEvent, EventSource
from schemas.outputs import AuditEvent, AuditRecorded

_NAMESPACE = uuid.UUID("6f1c7d2e-2b1a-4e55-9d0c-4c6a1e0f7a10")
_KEYED = hashlib.blake2b(digest_size=16, key=_NAMESPACE.bytes)  # copied: no key setup per id
_SOURCE_FIELDS = tuple(EventSource.model_fields)  # every one a str or None
_VARIANT = {digit: "89ab"[int(digit, 16) % 4] for digit in "0123456789abcdef"}  # RFC 4122
_audit_recorded = maker(AuditRecorded)  # (fields, hash, cached)


def entry_hash(fields: dict[str, Any]) -> str:
    """BLAKE2b-256 over the canonical JSON of every field but `hash` (Python values: datetimes
    render with str(), enums as their values)."""
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(canonical, digest_size=32).hexdigest()


def _derived_uuid(name: str) -> str:
    """A deterministic UUID-formatted id (version nibble 5, RFC 4122 variant) from `name`."""
    hasher = _KEYED.copy()
    hasher.update(name.encode())
    h = hasher.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def make_audit(
    *,
    prev_hash: str,
    sequence: int,
    person_ref: str,
    event: BaseEvent,
    event_type: AuditType,
    recorded_at: datetime,
    purpose_id: str | None = None,
    channel: Channel | None = None,
    previous_state: dict[str, Any] | None = None,
    new_state: dict[str, Any] | None = None,
    lawful_basis: Basis | None = None,
    evidence: dict[str, Any] | None = None,
    legal_ref: str | None = None,
) -> AuditRecorded:
    event_id = _derived_uuid(f"{person_ref}:{event.event_id}:{event_type}:{sequence}")
    source = _source(event)
    fields: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": event.occurred_at,
        "recorded_at": recorded_at,
        "person_ref": person_ref,
        "purpose_id": purpose_id,
        "channel": channel,
        "previous_state": previous_state,
        "new_state": new_state,
        "lawful_basis": lawful_basis,
        "evidence": evidence,
        "legal_ref": legal_ref,
        "source": source,
        "prev_hash": prev_hash,
    }
    # Built from typed, trusted values; the model is constructed lazily (hot path of the fold).
    return _audit_recorded(fields, entry_hash(fields), None)


def _source(event: BaseEvent) -> dict[str, Any]:
    """The event id and its source's fields that are set (JSON values)."""
    source: dict[str, Any] = {"event_id": event.event_id}
    origin = event.source
    if type(origin) is EventSource:  # its fields are JSON already: no model_dump
        for name in _SOURCE_FIELDS:
            value = getattr(origin, name)
            if value is not None:
                source[name] = value
    elif origin is not None:
        source.update(origin.model_dump(mode="json", exclude_none=True))
    return source


def verify_chain(entries: list[AuditEvent], genesis: str) -> int | None:
    """Index of the first entry whose hash or link is wrong; None when the chain holds."""
    previous = genesis
    for index, entry in enumerate(entries):
        fields = entry.model_dump(exclude={"hash"})
        if entry.prev_hash != previous or entry_hash(fields) != entry.hash:
            return index
        previous = entry.hash
    return None
