"""The inputs of one evaluation, plus the optional rule trace it writes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.outputs import RuleCheck, TraceValue
from schemas.person import Person
from schemas.policy import Policy
from schemas.purpose import Purpose
from schemas.state import PersonState


@dataclass(slots=True)
class Ctx:
    state: PersonState
    policy: Policy
    purpose: Purpose
    channel: Channel | None
    t: datetime
    person: Person
    basis: Basis
    trace: list[RuleCheck] | None = None
    flags: list[Reason] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # channel-free facts of this purpose row

    def check(self, rule: str, reason: Reason | None, **inputs: TraceValue) -> Reason | None:
        """Record a rule outcome in the trace (when explaining) and pass the reason through."""
        if self.trace is not None:
            self.trace.append(RuleCheck(rule, reason is None, reason, dict(inputs)))
        return reason

    @property
    def jurisdiction(self) -> str:
        return self.person.jurisdiction
