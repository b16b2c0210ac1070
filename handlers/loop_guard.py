"""Recognise CDC changes caused by lawful's own write-back, so they never re-trigger it.

The write-back (workers/writeback) only sets lawful's computed fields on Individual, with the
`Sforce-Call-Options: client=lawful-writeback` header; Salesforce reports such an UPDATE with a
`changeOrigin` ending in `client=lawful-writeback`. A change is "own" when it is an UPDATE whose
substantive changed fields are all computed fields. The origin alone is not enough: a trigger or
flow running in the same transaction may have changed other fields, and those must be processed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from schemas.messages import SalesforceEvent

WRITEBACK_CLIENT = "lawful-writeback"
"""The `Sforce-Call-Options` client name of the write-back (marks its CDC events)."""

COMPUTED_FIELDS: frozenset[str] = frozenset(
    {"Lawful_Basis_Status__c", "Lawful_Valid_Until__c", "Lawful_Last_Evaluated__c"}
)
"""Fields lawful computes and writes back; nothing else in lawful reads them as input."""

SYSTEM_FIELDS: frozenset[str] = frozenset(
    {"LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastReferencedDate"}
)
"""Fields every save touches; they say nothing about what changed."""


def has_writeback_origin(header: Mapping[str, Any]) -> bool:
    """True when `changeOrigin` carries the write-back's client name."""
    origin = header.get("changeOrigin")
    return isinstance(origin, str) and origin.endswith(f"client={WRITEBACK_CLIENT}")


def changed_fields(payload: Mapping[str, Any]) -> set[str]:
    """Top-level names of the fields an UPDATE changed (`changedFields`, else the body keys)."""
    header = payload.get("ChangeEventHeader")
    listed = header.get("changedFields") if isinstance(header, Mapping) else None
    names: Iterable[str]
    if isinstance(listed, list) and listed:
        names = (str(name).split(".", 1)[0] for name in listed)
    else:
        names = (name for name in payload if name != "ChangeEventHeader")
    return set(names)


def is_own_writeback(event: SalesforceEvent) -> bool:
    """True for a CDC UPDATE that only touched lawful's computed fields (skip it)."""
    header = event.payload.get("ChangeEventHeader")
    if not isinstance(header, Mapping) or header.get("changeType") != "UPDATE":
        return False
    substantive = changed_fields(event.payload) - SYSTEM_FIELDS
    if not substantive:  # a no-op save: ours only when marked as ours
        return has_writeback_origin(header)
    return substantive <= COMPUTED_FIELDS
