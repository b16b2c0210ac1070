"""Change Data Capture: committed transactions -> change events (merging, overflow, shapes)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from emulator.changes import ChangeType, RecordChange, Transaction
from emulator.streaming.compound import changed_field_paths, group_fields
from emulator.streaming.ids import schema_id
from emulator.streaming.values import NEVER_SENT, wire_value

EMPTY_RECORD_ID = "000000000000000AAA"
_HEADER_ONLY = frozenset(
    {"DELETE", "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW"}
)
_GAP_FOR: dict[str, ChangeType] = {
    "CREATE": "GAP_CREATE",
    "UPDATE": "GAP_UPDATE",
    "UNDELETE": "GAP_UNDELETE",
}
_MERGEABLE = frozenset({"UPDATE", "DELETE", "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE"})


def change_event_channel(entity: str) -> str:
    """`/data/ContactChangeEvent`, `/data/Consent_Record__ChangeEvent` for `Consent_Record__c`."""
    if entity.endswith("__c"):
        return f"/data/{entity[:-1]}ChangeEvent"
    return f"/data/{entity}ChangeEvent"


@dataclass(slots=True)
class ChangeEventSource:
    """One change event: a representative change plus every record id it covers."""

    change: RecordChange
    record_ids: list[str] = field(default_factory=list)
    max_event_chars: int = 1_000_000

    def render(self, replay_id: int) -> dict[str, Any]:
        # Checked on first delivery, not at commit, to keep commits cheap.
        change = _gap_if_too_large(self.change, self.max_event_chars)
        return {
            "schema": schema_id("cdc", change.entity),
            "payload": change_payload(change, self.record_ids),
            "event": {"replayId": replay_id},
        }


def change_payload(change: RecordChange, record_ids: list[str]) -> dict[str, Any]:
    """`ChangeEventHeader` plus body fields, following the CometD rules for each change type."""
    kind = change.change_type
    body: dict[str, Any] = {}
    changed: list[str] = []
    if kind in ("CREATE", "UNDELETE"):
        body = {
            name: wire_value(value)
            for name, value in change.values.items()
            if value is not None and name not in NEVER_SENT
        }
    elif kind == "UPDATE":
        body = {
            name: wire_value(value)
            for name, value in change.values.items()
            if name not in NEVER_SENT
        }
        body.update({name: None for name in change.nulled if name not in NEVER_SENT})
        changed = changed_field_paths(change.entity, list(body))
    header = {
        "commitNumber": change.commit_number,
        "commitUser": change.commit_user,
        "sequenceNumber": change.sequence_number,
        "entityName": change.entity,
        "changeType": kind,
        "changedFields": changed,
        "changeOrigin": change.change_origin,
        "transactionKey": change.transaction_key,
        "commitTimestamp": change.commit_timestamp_ms,
        "recordIds": list(record_ids),
    }
    payload: dict[str, Any] = {"ChangeEventHeader": header}
    if kind not in _HEADER_ONLY:
        payload.update(group_fields(change.entity, body))
    return payload


def _change_cost(change: RecordChange) -> int:
    """Overflow accounting: one per create/delete/undelete, one per changed field on update."""
    if change.change_type == "UPDATE":
        return max(1, len(change.values) + len(change.nulled))
    return 1


def _gap_if_too_large(change: RecordChange, max_chars: int) -> RecordChange:
    """A change whose event would exceed the message size limit becomes a GAP_* change."""
    gap_type = _GAP_FOR.get(change.change_type)
    if gap_type is None:
        return change
    size = 0
    for value in change.values.values():
        if type(value) is str:
            size += len(value)
    if size <= max_chars:
        return change
    return replace(change, change_type=gap_type, values={}, nulled=(), change_origin="")


def _merge_key(change: RecordChange) -> tuple[object, ...] | None:
    if change.change_type not in _MERGEABLE:
        return None
    values = repr(sorted(change.values.items())) if change.values else ""
    return (change.entity, change.change_type, values, change.nulled, change.commit_timestamp_ms)


def plan_change_events(
    transaction: Transaction,
    selected: set[str],
    *,
    merge: bool,
    overflow_threshold: int,
    max_event_chars: int = 1_000_000,
) -> list[ChangeEventSource]:
    """The change events one transaction produces, in sequence order."""
    events: list[ChangeEventSource] = []
    merged: dict[tuple[object, ...], ChangeEventSource] = {}
    overflowed: dict[str, RecordChange] = {}
    spent = 0
    may_merge = merge and len(transaction.changes) > 1
    for change in transaction.changes:
        spent += _change_cost(change) if change.change_type == "UPDATE" else 1
        if change.entity not in selected:
            continue
        if spent > overflow_threshold:
            overflowed.setdefault(change.entity, change)
            continue
        key = _merge_key(change) if may_merge and change.change_type in _MERGEABLE else None
        if key is not None and key in merged:
            merged[key].record_ids.append(change.record_id)
            continue
        source = ChangeEventSource(change, [change.record_id], max_event_chars)
        events.append(source)
        if key is not None:
            merged[key] = source
    events.extend(overflow_event(change) for change in overflowed.values())
    return events


def overflow_event(change: RecordChange) -> ChangeEventSource:
    """The GAP_OVERFLOW event standing for every further change of `change.entity`."""
    header_only = replace(
        change, change_type="GAP_OVERFLOW", values={}, nulled=(), change_origin=""
    )
    return ChangeEventSource(header_only, [EMPTY_RECORD_ID])


def synthetic_change(
    entity: str,
    change_type: ChangeType,
    record_id: str,
    *,
    transaction_key: str,
    commit_timestamp_ms: int,
    commit_user: str,
) -> RecordChange:
    """A header-only change for forced gap/overflow events."""
    return RecordChange(
        entity=entity,
        change_type=change_type,
        record_id=record_id,
        values={},
        nulled=(),
        transaction_key=transaction_key,
        commit_timestamp_ms=commit_timestamp_ms,
        commit_number=commit_timestamp_ms * 1000,
        commit_user=commit_user,
        change_origin="",
        sequence_number=1,
    )
