"""The erasure tombstone: one hash-chained, PII-free deletion-log entry per request (R19, §4.5)."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from schemas.base import Outbound


class ObjectOutcome(Outbound):
    """What happened to one sObject type's records of the person (ids only)."""

    sobject: str
    deleted_ids: tuple[str, ...] = ()
    masked_ids: tuple[str, ...] = ()
    retained_ids: tuple[str, ...] = ()
    deleted: int = 0
    masked: int = 0
    retained: int = 0


class CategoryOutcome(Outbound):
    category: str
    decision: str = Field(description="ERASED or RETAINED")
    ground: str | None = None
    legal_ref: str | None = None
    retain_until: AwareDatetime | None = None


class RecipientNotice(Outbound):
    recipient_id: str
    notified_at: AwareDatetime


class Tombstone(Outbound):
    """lawful.tombstones.v1 (key = request id): proof of an erasure with no personal value."""

    schema_version: int = 1
    sequence: int = Field(ge=0, description="Position in the chain (0 = first entry)")
    request_id: str
    individual_id: str = Field(description="Salesforce record id, not a personal value")
    received_at: AwareDatetime
    verified_at: AwareDatetime | None = None
    due: date | None = None
    extension_notified_at: AwareDatetime | None = Field(
        None, description="Art. 12(3) extension notice sent to the person (its reason is not kept)"
    )
    executed_at: AwareDatetime
    policy_version: str
    objects: tuple[ObjectOutcome, ...]
    categories: tuple[CategoryOutcome, ...]
    identifier_hashes: tuple[str, ...] = Field(
        description="BLAKE2b-256 keyed with settings.tombstone_key over normalised identifiers"
    )
    hash_algorithm: str = "blake2b-256-keyed"
    suppression_scope: str | None = None
    recipients: tuple[RecipientNotice, ...] = ()
    actor: str
    service: str
    prev_hash: str = Field(min_length=64, max_length=64)
    hash: str = Field(min_length=64, max_length=64, description="BLAKE2b-256 of canonical JSON")


class ErasureNotification(Outbound):
    """lawful.erasure-notifications.v1 (key = request id + recipient): one Art. 19 message."""

    schema_version: int = 1
    notification_id: str = Field(description="<request id>:<recipient id>; consumers dedupe on it")
    request_id: str
    recipient_id: str
    individual_id: str
    executed_at: AwareDatetime
    erased_categories: tuple[str, ...]
    retained_categories: tuple[str, ...]
    tombstone_request_id: str
