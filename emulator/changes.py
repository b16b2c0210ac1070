"""The contract between the emulator's record store and its streaming side.

The store (REST, SOQL, collections, seed) calls a `ChangeSink` for every committed record change;
the streaming side turns those into Change Data Capture events on CometD. Platform events published
through REST go to an `EventPublisher`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ChangeType = Literal[
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
]


@dataclass(frozen=True)
class RecordChange:
    """One record's change inside one transaction, as the store committed it."""

    entity: str  # sObject API name, e.g. "Contact"
    change_type: ChangeType
    record_id: str  # 18-character id
    # Field values after the change: every non-null field for CREATE/UNDELETE, only the changed
    # ones for UPDATE, empty for DELETE. Keys are field API names; compound fields are flattened
    # (MailingStreet, ...) and the streaming side regroups them.
    values: dict[str, Any]
    nulled: tuple[str, ...]  # fields that became null in this change (UPDATE) or were null (CREATE)
    transaction_key: str
    commit_timestamp_ms: int
    commit_number: int
    commit_user: str  # 005 user id
    change_origin: str  # e.g. "com/salesforce/api/rest/62.0"
    sequence_number: int  # position of this change inside its transaction, from 1


@dataclass(frozen=True)
class Transaction:
    """All changes committed together (one REST call, one collection call, one seed batch)."""

    transaction_key: str
    changes: tuple[RecordChange, ...] = field(default_factory=tuple)


class ChangeSink(Protocol):
    def transaction_committed(self, transaction: Transaction) -> None:
        """Called once per committed transaction, after the store state is updated."""


class EventPublisher(Protocol):
    def publish_platform_event(self, event_name: str, payload: dict[str, Any]) -> str:
        """Deliver a platform event (`Name__e` or a standard event); returns its EventUuid."""
