"""JSON Schemas of the documents lawful reads and writes, committed under schemas/json/."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from schemas.facts import FactsDocument
from schemas.outputs import Alert, AuditEvent, Decision, ErasurePlan

SCHEMAS: dict[str, TypeAdapter[Any]] = {
    "facts.v1.json": TypeAdapter(FactsDocument),
    "decision.v1.json": TypeAdapter(Decision),
    "alert.v1.json": TypeAdapter(Alert),
    "audit-event.v1.json": TypeAdapter(AuditEvent),
    "erasure-plan.v1.json": TypeAdapter(ErasurePlan),
}


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
    if name.startswith("facts"):
        schema = SCHEMAS[name].json_schema(mode="validation")
    else:
        schema = SCHEMAS[name].json_schema(mode="serialization")
    return json.dumps(_stable(schema), indent=2, sort_keys=True) + "\n"
