"""JSON Schemas of the documents lawful reads and writes, committed under schemas/json/."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from schemas.erasure_policy import ErasurePolicy
from schemas.facts import FactsDocument
from schemas.messages import (
    AlertMessage,
    DeadLetter,
    PermissionChange,
    PermissionsSnapshot,
    PersonEventsValue,
    SalesforceEvent,
)
from schemas.outputs import Alert, AuditEvent, Decision, ErasurePlan
from schemas.tombstone import ErasureNotification, Tombstone

SCHEMAS: dict[str, TypeAdapter[Any]] = {
    "facts.v1.json": TypeAdapter(FactsDocument),
    "decision.v1.json": TypeAdapter(Decision),
    "alert.v1.json": TypeAdapter(Alert),
    "audit-event.v1.json": TypeAdapter(AuditEvent),
    "erasure-plan.v1.json": TypeAdapter(ErasurePlan),
    "topic.lawful.sf-cdc.v1.json": TypeAdapter(SalesforceEvent),
    "topic.lawful.person-events.v1.json": TypeAdapter(PersonEventsValue),
    "topic.lawful.permissions.v1.json": TypeAdapter(PermissionsSnapshot),
    "topic.lawful.permission-changes.v1.json": TypeAdapter(PermissionChange),
    "topic.lawful.alerts.v1.json": TypeAdapter(AlertMessage),
    "topic.lawful.audit.v1.json": TypeAdapter(AuditEvent),
    "topic.lawful.dlq.v1.json": TypeAdapter(DeadLetter),
    "topic.lawful.tombstones.v1.json": TypeAdapter(Tombstone),
    "topic.lawful.erasure-notifications.v1.json": TypeAdapter(ErasureNotification),
    "erasure-policy.v1.json": TypeAdapter(ErasurePolicy),
}

# Inbound documents are described as they may be written (validation mode), outbound ones as
# they are produced (serialization mode).
INBOUND = frozenset(
    {"facts.v1.json", "topic.lawful.sf-cdc.v1.json", "topic.lawful.person-events.v1.json"}
)


def _stable(value: Any, in_default: bool = False) -> Any:
    """Sort lists of scalars inside defaults: sets (frozenset defaults) have no stable order."""
    if isinstance(value, dict):
        return {k: _stable(v, in_default or k == "default") for k, v in value.items()}
    if isinstance(value, list):
        items = [_stable(v, in_default) for v in value]
        if in_default and all(isinstance(v, str | int) for v in items):
            return sorted(items, key=str)
        return items
    return value


def render(name: str) -> str:
    """The schema as committed: validation mode for inputs, serialization mode for outputs."""
    if name in INBOUND:
        schema = SCHEMAS[name].json_schema(mode="validation")
    else:
        schema = SCHEMAS[name].json_schema(mode="serialization")
    return json.dumps(_stable(schema), indent=2, sort_keys=True) + "\n"
