"""The suppression list (keyed hashes per scope in Redis) and the CDC CREATE check."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
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


async def check_created(
    event: SalesforceEvent, suppression: SuppressionList
) -> PersonMessage | None:
    """A SUPPRESSION engine event when a created Lead/Contact/contact point hits the list."""
    header = event.payload.get("ChangeEventHeader") or {}
    entity = event.entity or header.get("entityName")
    if event.change_type not in ("CREATE", "SNAPSHOT") or entity not in CHECKED:
        return None
    individual_id = individual_of(event)
    for field, kind in CHECKED[str(entity)]:
        value = event.payload.get(field)
        if not value or individual_id is None:
            continue
        found = await suppression.match(kind, str(value))
        if found is not None:
            scope, digest = found
            return PersonMessage(
                individual_id=individual_id,
                kind="EVENT",
                event=SuppressionAdded(
                    event_id=f"suppression:{event.record_id}:{digest[:16]}",
                    occurred_at=datetime.now(UTC),
                    scope=scope,
                    identifier_hash=digest,
                ),
                source_record_id=event.record_id,
                source_replay_id=event.replay_id,
            )
    return None


def new_request_id() -> str:
    """A random request id (never derived from personal data)."""
    return f"er-{uuid.uuid4().hex}"
