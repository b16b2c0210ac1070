"""A REST record -> the CometD CDC shape of a CREATE, so the pipeline applies both alike.

REST and CDC differ (salesforce.md §3.4-3.5): REST has `attributes`, `Id`, system fields CDC never
sends, flat name/address components and lower-case address objects; CDC nests components under
`Name` / `<prefix>Address` with capitalised keys and omits null fields on CREATE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from schemas.messages import SalesforceEvent

NAME_COMPONENTS = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix", "InformalName")
ADDRESS_COMPONENTS = (
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "StateCode",
    "CountryCode",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
)
PERSON_NAME_ENTITIES = frozenset({"Contact", "Lead", "Individual", "User"})
ADDRESS_PREFIXES: dict[str, tuple[str, ...]] = {
    "Contact": ("Mailing", "Other"),
    "Account": ("Billing", "Shipping", "PersonMailing", "PersonOther"),
    "Lead": ("",),
    "User": ("",),
    "ContactPointAddress": ("",),
}
SNAPSHOT_CHANNEL = "backfill"
NEVER_SENT = frozenset({"attributes", "Id", "IsDeleted", "SystemModstamp", "LastViewedDate"})


@lru_cache(maxsize=512)
def _component_map(
    entity: str, person_account: bool
) -> tuple[dict[str, tuple[str, str]], frozenset[str]]:
    """(flat component -> (compound, component), fields never copied) for one entity; REST
    renders compounds itself (string Name, lower-case address objects), so they are skipped."""
    mapping: dict[str, tuple[str, str]] = {}
    if entity in PERSON_NAME_ENTITIES or person_account:
        mapping.update({part: ("Name", part) for part in NAME_COMPONENTS})
    for prefix in ADDRESS_PREFIXES.get(entity, ()):
        compound = f"{prefix}Address"
        mapping.update({f"{prefix}{part}": (compound, part) for part in ADDRESS_COMPONENTS})
    return mapping, NEVER_SENT | {compound for compound, _ in mapping.values()}


def cdc_body(entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Non-null fields of `record` with compound components nested as CDC sends them."""
    person_account = entity == "Account" and (
        bool(record.get("IsPersonAccount")) or record.get("LastName") is not None
    )
    mapping, skipped = _component_map(entity, person_account)
    if not mapping:  # most objects: no compound fields
        return {k: v for k, v in record.items() if v is not None and k not in skipped}
    body: dict[str, Any] = {}
    for name, value in record.items():
        if value is None or name in skipped:
            continue
        target = mapping.get(name)
        if target is None:
            body[name] = value
        else:
            body.setdefault(target[0], {})[target[1]] = value
    return body


def commit_ms(record: Mapping[str, Any]) -> int | None:
    """`LastModifiedDate` (REST: `2026-11-29T10:00:00.000+0000`) as epoch milliseconds."""
    raw = record.get("LastModifiedDate") or record.get("CreatedDate")
    return _epoch_ms(raw) if isinstance(raw, str) else None


@lru_cache(maxsize=4096)  # records saved in one transaction share their timestamp
def _epoch_ms(raw: str) -> int:
    text = raw.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _header(entity: str, record_id: str, committed: int | None) -> dict[str, Any]:
    return {
        "entityName": entity,
        "changeType": "CREATE",
        "changeOrigin": "",
        "recordIds": [record_id],
        "commitTimestamp": committed,
        "changedFields": [],
        "sequenceNumber": 1,
        # The same snapshot again is a duplicate; a newer one (re-run later) is not.
        "transactionKey": f"backfill-{record_id}-{committed}",
    }


def snapshot_payload(entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields in the CDC shape plus a CREATE-like `ChangeEventHeader`."""
    record_id = str(record["Id"])
    payload = cdc_body(entity, record)
    payload["ChangeEventHeader"] = _header(entity, record_id, commit_ms(record))
    return payload


def snapshot_event(
    entity: str, record: Mapping[str, Any], *, received_at: datetime
) -> SalesforceEvent:
    """`SalesforceEvent(origin="backfill", change_type="SNAPSHOT")` for one record."""
    return SalesforceEvent(
        channel=SNAPSHOT_CHANNEL,
        record_id=str(record["Id"]),
        entity=entity,
        change_type="SNAPSHOT",
        payload=snapshot_payload(entity, record),
        received_at=received_at,
        origin="backfill",
    )


def snapshot_json(entity: str, record: Mapping[str, Any], *, received_at: datetime) -> bytes:
    """`snapshot_event(...).model_dump_json()` without the model (3x faster; same document)."""
    return snapshot_values(entity, [record], received_at=received_at)[0][1]


def snapshot_values(
    entity: str, records: Iterable[Mapping[str, Any]], *, received_at: datetime
) -> list[tuple[bytes, bytes]]:
    """(record id, `snapshot_json`) of every record of a page, in one pass: the envelope's
    constant parts are encoded once per page and only the payload per record (the tests
    compare the result with `snapshot_event(...)` through pydantic)."""
    dumps, join, epoch_ms = orjson.dumps, b"".join, _epoch_ms
    mapping, skipped = _component_map(entity, False)
    plain = not mapping and entity != "Account"  # no compounds: the body is one comprehension
    head = b'{"channel":' + dumps(SNAPSHOT_CHANNEL) + b',"replay_id":null,"record_id":'
    middle = b',"entity":' + dumps(entity) + b',"change_type":"SNAPSHOT","payload":'
    tail = b',"event_uuid":null,"received_at":' + dumps(received_at) + b',"origin":"backfill"}'
    out = []
    for record in records:
        record_id = str(record["Id"])
        if plain:
            payload = {k: v for k, v in record.items() if v is not None and k not in skipped}
        else:
            payload = cdc_body(entity, record)
        raw = record.get("LastModifiedDate") or record.get("CreatedDate")  # as commit_ms()
        committed = epoch_ms(raw) if isinstance(raw, str) else None
        payload["ChangeEventHeader"] = _header(entity, record_id, committed)
        value = join((head, dumps(record_id), middle, dumps(payload), tail))
        out.append((record_id.encode(), value))
    return out
