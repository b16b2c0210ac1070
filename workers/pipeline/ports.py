"""What the agents need from the engine and the outside world, as small typed ports.

The agents never import the engine's types directly: `workers.pipeline.engine` binds the real
`handlers.records` / `handlers.aggregate` functions to these shapes, and tests bind fakes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from schemas.messages import (
    AlertMessage,
    PermissionChange,
    PermissionsSnapshot,
    PersonMessage,
    SalesforceEvent,
)
from schemas.outputs import AuditEvent
from schemas.policy import Policy
from schemas.purpose import Purpose

PURPOSE_ENTITIES = ("DataUsePurpose", "Lawful_LIA__c")
"""Entities whose records make up the purpose catalogue."""


@dataclass(frozen=True)
class ResyncOrder:
    """Re-read `record_ids` of `entity` from REST (empty ids: the whole entity by SOQL)."""

    entity: str
    record_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class CatalogueRecord:
    """A DataUsePurpose or Lawful_LIA__c record seen by the records agent (fields None: gone)."""

    entity: str
    record_id: str
    fields: dict[str, Any] | None


@dataclass(frozen=True)
class RecordResult:
    """One CDC message applied to a record image: the new encoded image (None: drop it)."""

    image: bytes | None
    messages: tuple[PersonMessage, ...] = ()
    resync: ResyncOrder | None = None
    catalogue: CatalogueRecord | None = None
    unresolved: str | None = None


@dataclass(frozen=True)
class PersonResult:
    """A person's messages folded into the aggregate: the new encoded state and the outputs."""

    state: bytes
    snapshot: PermissionsSnapshot | None = None
    changes: tuple[PermissionChange, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    alerts: tuple[AlertMessage, ...] = ()
    next_wakeup: datetime | None = None


ApplyRecord = Callable[[bytes | None, SalesforceEvent, str], Awaitable[RecordResult]]
StepPerson = Callable[[bytes | None, Sequence[PersonMessage], datetime, Policy], PersonResult]
"""One person's messages (in order) folded into the encoded state, in one engine step."""


@dataclass(frozen=True)
class EngineBinding:
    """The engine functions the agents call (real ones in `workers.pipeline.engine`)."""

    apply_record: ApplyRecord
    step_person: StepPerson
    purpose_from_fields: Callable[[dict[str, Any], dict[str, Any] | None], Purpose]


class Send(Protocol):
    """Produce one message (value already encoded) to a topic of the pipeline."""

    def __call__(self, topic: str, key: str | None, value: bytes) -> Awaitable[None]: ...


class RecordReader(Protocol):
    """The REST reads a resync needs (a subset of `workers.salesforce.rest.SalesforceRest`)."""

    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any] | None: ...

    async def query_all(
        self, soql: str, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]: ...

    async def describe(self, sobject: str) -> dict[str, Any]: ...
