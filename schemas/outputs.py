"""What the engine produces: decisions, alerts, audit events, erasure plans, effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime

from schemas.base import Outbound
from schemas.codes import AlertType, AuditType, Reason, Rejection
from schemas.enums import Basis, Channel, SuppressionScope

TraceValue = str | int | bool | None


# Decision and RuleCheck are built for every cell; frozen dataclasses pay for object.__setattr__
# on each field, so these are plain slotted dataclasses that nothing mutates after construction.
@dataclass(slots=True)
class RuleCheck:
    """One rule checked during an evaluation (the `--explain` trace)."""

    rule: str
    passed: bool
    reason: Reason | None
    inputs: dict[str, TraceValue]


@dataclass(slots=True)
class Decision:
    purpose_id: str
    channel: Channel | None
    at: datetime
    permitted: bool
    reason: Reason
    rule: str
    row: str | None
    effective_basis: Basis | None
    secondary_reasons: tuple[Reason, ...] = ()
    valid_until: datetime | None = None
    trace: tuple[RuleCheck, ...] | None = None


class Alert(Outbound):
    alert_key: str
    type: AlertType
    individual_id: str
    due_at: AwareDatetime
    purpose_id: str | None = None
    channel: Channel | None = None
    horizon: AwareDatetime | None = None
    cause: str | None = None
    lead_days: int | None = None
    request_id: str | None = None


class AuditEvent(Outbound):
    """An append-only, hash-chained audit entry (gdpr-rules.md §5.2)."""

    event_id: str
    event_type: AuditType
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    person_ref: str
    purpose_id: str | None = None
    channel: Channel | None = None
    previous_state: dict[str, Any] | None = None
    new_state: dict[str, Any] | None = None
    lawful_basis: Basis | None = None
    evidence: dict[str, Any] | None = None
    legal_ref: str | None = None
    source: dict[str, Any] | None = None
    prev_hash: str
    hash: str


class CategoryDecision(Outbound):
    category: str
    decision: str  # ERASE | RETAIN
    ground: str | None = None
    legal_ref: str | None = None
    retain_until: AwareDatetime | None = None


class SuppressionPlan(Outbound):
    scope: SuppressionScope
    identifier_hashes: tuple[str, ...]
    reason: str
    hash_algorithm: str = "blake2b-256-keyed"


class ErasurePlan(Outbound):
    request_id: str
    individual_id: str
    received_at: AwareDatetime
    status: str  # AWAITING_IDENTITY | OPEN | EXECUTED
    clock_start: date | None
    due: date | None
    extended: bool
    extension_rejected: bool
    overdue_from: date | None
    categories: tuple[CategoryDecision, ...]
    suppression: SuppressionPlan | None
    recipients_to_notify: tuple[str, ...]
    marketing_purposes_blocked: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class AuditRecorded:
    """An audit entry produced by the fold; the pydantic model is built when first read."""

    fields: dict[str, Any]
    hash: str
    cached: AuditEvent | None = None

    @property
    def event(self) -> AuditEvent:
        if self.cached is None:
            self.cached = AuditEvent.model_construct(**self.fields, hash=self.hash)
        return self.cached


@dataclass(frozen=True, slots=True)
class CommandRejected:
    event_id: str
    reason: Rejection
    detail: str


@dataclass(frozen=True, slots=True)
class CellsAffected:
    """Which cells may have changed; `None` means every purpose (or channel)."""

    purpose_ids: frozenset[str] | None
    channels: frozenset[Channel] | None


Effect = AuditRecorded | CommandRejected | CellsAffected
