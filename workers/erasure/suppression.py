"""The suppression list (keyed hashes per scope in Redis) and the CDC CREATE check."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio

from handlers.erasure_person import candidate_hashes
from schemas.enums import ContactPointKind, SuppressionScope
from schemas.events import SuppressionAdded
from schemas.messages import PersonMessage, SalesforceEvent

CHECKED: dict[str, tuple[tuple[str, ContactPointKind], ...]] = {
    "Lead": (
        ("Email", ContactPointKind.EMAIL),
        ("Phone", ContactPointKind.PHONE),
        ("MobilePhone", ContactPointKind.PHONE),
    ),
    "Contact": (
        ("Email", ContactPointKind.EMAIL),
        ("Phone", ContactPointKind.PHONE),
        ("MobilePhone", ContactPointKind.PHONE),
    ),
    "ContactPointEmail": (("EmailAddress", ContactPointKind.EMAIL),),
    "ContactPointPhone": (("TelephoneNumber", ContactPointKind.PHONE),),
}
INDIVIDUAL_FIELDS = ("IndividualId", "ParentId")


class SuppressionList:
    def __init__(self, client: redis.asyncio.Redis, prefix: str, key: bytes) -> None:
        self.redis = client
        self.prefix = prefix
        self.hash_key = key

    def set_key(self, scope: SuppressionScope) -> str:
        return f"{self.prefix}suppression:{scope.value}"

    async def add(self, hashes: Iterable[str], scope: SuppressionScope) -> None:
        values = list(hashes)
        if values:
            await self.redis.sadd(self.set_key(scope), *values)

    async def match(
        self, kind: ContactPointKind, value: str
    ) -> tuple[SuppressionScope, str] | None:
        """(scope, hash) of the first suppression entry the identifier matches."""
        candidates = sorted(candidate_hashes(kind, value, self.hash_key))
        for scope in SuppressionScope:
            hits = await self.redis.smismember(self.set_key(scope), candidates)
            for candidate, hit in zip(candidates, hits, strict=True):
                if hit:
                    return scope, candidate
        return None


def individual_of(event: SalesforceEvent) -> str | None:
    for name in INDIVIDUAL_FIELDS:
        value = event.payload.get(name)
        if isinstance(value, str) and value.startswith("0PK"):
            return value
    return None


@dataclass(frozen=True)
class SuppressionMatch:
    """A created record whose identifier is on the suppression list (hashes and ids only)."""

    record_id: str
    entity: str
    scope: SuppressionScope
    digest: str
    individual_id: str | None  # None: the record names no Individual (alert only)


async def find_match(
    event: SalesforceEvent, suppression: SuppressionList
) -> SuppressionMatch | None:
    """The suppression entry a created Lead/Contact/contact point hits, with or without an
    Individual (a system re-creating the person often sets none)."""
    header = event.payload.get("ChangeEventHeader") or {}
    entity = event.entity or header.get("entityName")
    if event.change_type not in ("CREATE", "SNAPSHOT") or entity not in CHECKED:
        return None
    for field, kind in CHECKED[str(entity)]:
        value = event.payload.get(field)
        if not value:
            continue
        found = await suppression.match(kind, str(value))
        if found is not None:
            scope, digest = found
            record_id = event.record_id or ""
            return SuppressionMatch(record_id, str(entity), scope, digest, individual_of(event))
    return None


def suppression_message(event: SalesforceEvent, match: SuppressionMatch) -> PersonMessage | None:
    """The engine's SUPPRESSION event for the matched person (None without an Individual)."""
    if match.individual_id is None:
        return None
    return PersonMessage(
        individual_id=match.individual_id,
        kind="EVENT",
        event=SuppressionAdded(
            event_id=f"suppression:{event.record_id}:{match.digest[:16]}",
            occurred_at=datetime.now(UTC),
            scope=match.scope,
            identifier_hash=match.digest,
        ),
        source_record_id=event.record_id,
        source_replay_id=event.replay_id,
    )


async def check_created(
    event: SalesforceEvent, suppression: SuppressionList
) -> PersonMessage | None:
    """A SUPPRESSION engine event when a created record of an Individual hits the list."""
    match = await find_match(event, suppression)
    return None if match is None else suppression_message(event, match)


def new_request_id() -> str:
    """A random request id (never derived from personal data)."""
    return f"er-{uuid.uuid4().hex}"
