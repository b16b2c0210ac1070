"""What the API keeps beside the projection: the access log, operations and lookup hashes.

The access log and operations live under `<prefix>api:`, outside the projection, so a projection
rebuild never erases the record of who read what. The lookup sets (`<prefix>lookup:`) are derived
from the worker's states by the projector, which clears and rebuilds them with the projection.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import redis.asyncio
import structlog

from schemas.enums import ContactPointKind
from workers.api.auth import Principal
from workers.operations.queue import OperationQueue
from workers.operations.queue import operation_key as queued_operation_key
from workers.projection.keys import Keys
from workers.projection.lookup import contact_digest

access_log = structlog.get_logger("lawful.access")


def access_log_key(prefix: str) -> str:
    return f"{prefix}api:access-log"


def operation_key(prefix: str, operation_id: str) -> str:
    return queued_operation_key(prefix, operation_id)


def lookup_key(prefix: str, digest: str) -> str:
    return Keys(prefix).lookup(digest)


async def record_read(
    client: redis.asyncio.Redis,
    prefix: str,
    principal: Principal,
    action: str,
    individual_ids: list[str],
    *,
    kept: int,
) -> None:
    """One access-log entry per person read: who, when, which Individual id, how."""
    at = datetime.now(UTC).isoformat()
    async with client.pipeline(transaction=False) as pipe:
        for individual_id in individual_ids:
            entry = {
                "who": principal.subject,
                "method": principal.method,
                "at": at,
                "individual_id": individual_id,
                "action": action,
            }
            pipe.xadd(access_log_key(prefix), entry, maxlen=kept, approximate=True)  # type: ignore[arg-type]
        await pipe.execute()
    for individual_id in individual_ids:
        access_log.info(
            "person read",
            who=principal.subject,
            auth=principal.method,
            individual_id=individual_id,
            action=action,
        )


async def create_operation(
    client: redis.asyncio.Redis,
    prefix: str,
    principal: Principal,
    kind: str,
    scope: list[str],
    *,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Record a requested operation (status `queued`) and queue it for `lawful bridge`."""
    operation = {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "status": "queued",
        "requested_by": principal.subject,
        "requested_at": datetime.now(UTC).isoformat(),
        "scope": ",".join(scope),
        **(extra or {}),
    }
    await OperationQueue(client, prefix).enqueue(kind, operation)
    return operation


async def index_contact(
    client: redis.asyncio.Redis,
    prefix: str,
    *,
    key: bytes,
    kind: ContactPointKind,
    value: str,
    jurisdiction: str,
    individual_id: str,
) -> None:
    """Make `value` findable by `POST /v1/lookup` by hand (the projector indexes every person's
    contact points from the worker's states: workers/projection/states.py)."""
    await client.sadd(
        lookup_key(prefix, contact_digest(key, kind, value, jurisdiction)), individual_id
    )


async def find_contact(
    client: redis.asyncio.Redis,
    prefix: str,
    *,
    key: bytes,
    kind: ContactPointKind,
    value: str,
    jurisdiction: str,
) -> list[str]:
    members = await client.smembers(
        lookup_key(prefix, contact_digest(key, kind, value, jurisdiction))
    )
    return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
