"""Gap, overflow and expired-replay recovery: re-read records from REST, feed them back as
`SalesforceEvent(origin="resync", change_type="SNAPSHOT")` messages on lawful.sf-cdc.v1."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.messages import SalesforceEvent
from workers.pipeline.ports import RecordReader, ResyncOrder

SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SYSTEM_KEYS = frozenset({"attributes"})


def _commit_ms(fields: dict[str, Any], now: datetime) -> int:
    stamp = fields.get("LastModifiedDate") or fields.get("SystemModstamp")
    if isinstance(stamp, str):
        try:
            parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("+0000", "+00:00"))
            return int(parsed.timestamp() * 1000)
        except ValueError:
            pass
    return int(now.timestamp() * 1000)


def change_channel(entity: str) -> str:
    """The CDC channel of `entity` (`/data/ContactChangeEvent`, `/data/Lawful_LIA__ChangeEvent`)."""
    if entity.endswith("__c"):
        return f"/data/{entity.removesuffix('__c')}__ChangeEvent"
    return f"/data/{entity}ChangeEvent"


def _version(fields: dict[str, Any]) -> str:
    """A digest of a re-read record's content: the same re-read delivered twice is a duplicate,
    a later re-read with other values is a new change (a fixed key made every second re-read of
    a record look like a duplicate delivery, so it was dropped)."""
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


def _header(
    entity: str,
    record_id: str,
    change_type: str,
    reason: str,
    commit_ms: int,
    *,
    version: str,
) -> dict[str, Any]:
    return {
        "entityName": entity,
        "recordIds": [record_id],
        "changeType": change_type,
        "changeOrigin": f"lawful/resync;reason={reason}",
        "transactionKey": f"resync-{record_id}-{version}",
        "sequenceNumber": 1,
        "commitTimestamp": commit_ms,
        "commitNumber": 0,
        "commitUser": "",
        "changedFields": [],
        "nulledFields": [],
        "diffFields": [],
    }


def deleted_event(entity: str, record_id: str, *, reason: str, now: datetime) -> SalesforceEvent:
    """A record the re-read did not find: it is gone, so the replica must drop it."""
    header = _header(
        entity, record_id, "DELETE", reason, int(now.timestamp() * 1000), version="deleted"
    )
    return SalesforceEvent(
        channel=change_channel(entity),
        record_id=record_id,
        entity=entity,
        change_type="DELETE",
        payload={"ChangeEventHeader": header},
        received_at=now,
        origin="resync",
    )


def snapshot_event(
    entity: str, record: dict[str, Any], *, reason: str, now: datetime
) -> SalesforceEvent:
    """One record as a SNAPSHOT message: the full fields plus a CREATE-like ChangeEventHeader."""
    fields = {k: v for k, v in record.items() if k not in SYSTEM_KEYS and k != "Id"}
    record_id = str(record["Id"])
    header = _header(
        entity, record_id, "CREATE", reason, _commit_ms(fields, now), version=_version(fields)
    )
    header["commitUser"] = str(fields.get("LastModifiedById") or "")
    return SalesforceEvent(
        channel=change_channel(entity),
        replay_id=None,
        record_id=record_id,
        entity=entity,
        change_type="SNAPSHOT",
        payload={"ChangeEventHeader": header, **fields},
        received_at=now,
        origin="resync",
    )


def whole_entity_soql(entity: str, field_names: Iterable[str] | None = None) -> str:
    """SOQL of every record of `entity` (all fields when the names are known, else Id only)."""
    if not SAFE_NAME.match(entity):
        raise ValueError(f"not an sObject name: {entity!r}")
    names = [n for n in (field_names or ()) if SAFE_NAME.match(n)] or ["Id"]
    if "Id" not in names:
        names.insert(0, "Id")
    return f"SELECT {', '.join(names)} FROM {entity}"  # noqa: S608 - names checked above


async def reread(
    reader: RecordReader, order: ResyncOrder, *, field_names: list[str] | None = None
) -> list[SalesforceEvent]:
    """The SNAPSHOT messages for `order` (deleted records simply do not come back)."""
    now = datetime.now(UTC)
    if not order.record_ids:
        if field_names is None:
            described = await reader.describe(order.entity)
            field_names = [str(f["name"]) for f in described.get("fields", ())]
        if "IsDeleted" not in field_names:
            field_names = [*field_names, "IsDeleted"]
        # queryAll: records deleted while the stream was lost come back with IsDeleted = true
        # (until the recycle bin is emptied) and are replayed as deletions, not forgotten.
        soql = whole_entity_soql(order.entity, field_names)
        records = await reader.query_all(soql, include_deleted=True)
        return [
            deleted_event(order.entity, str(r["Id"]), reason=order.reason, now=now)
            if r.get("IsDeleted")
            else snapshot_event(order.entity, r, reason=order.reason, now=now)
            for r in records
        ]
    events: list[SalesforceEvent] = []
    for record_id in order.record_ids:
        record = await reader.get(order.entity, record_id)
        if record is None:
            events.append(deleted_event(order.entity, record_id, reason=order.reason, now=now))
        else:
            events.append(
                snapshot_event(
                    order.entity, {**record, "Id": record_id}, reason=order.reason, now=now
                )
            )
    return events
