"""The result of applying one event, before the fold turns it into state and effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.codes import AuditType, Rejection
from schemas.outputs import CellsAffected


@dataclass
class Step:
    """State fields to replace, audit entries, a rejection, and the cells it may change."""

    changes: dict[str, Any] = field(default_factory=dict)
    audits: list[tuple[AuditType, dict[str, Any]]] = field(default_factory=list)
    rejection: tuple[Rejection, str, AuditType] | None = None
    cells: CellsAffected | None = None


def rejected(reason: Rejection, detail: str, audit: AuditType = AuditType.COMMAND_REJECTED) -> Step:
    return Step(rejection=(reason, detail, audit))
