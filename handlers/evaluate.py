"""evaluate(person state, purpose, channel | None, t) → Decision, in the §7.0 order.

R1 → R2 → R4 → R4b → R3 → R9 → R5 → basis validity (R6/R7/R8/R10) → channel rules for
MARKETING (R12-R16, rows T9-T23, R15 as T21). The first failing rule gives the reason; when all
pass, the reason is the granting rule's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from handlers.basis import GRANT_REASON, basis_valid, effective_basis
from handlers.channels import marketing_channel
from handlers.context import Ctx
from handlers.guards import (
    basis_not_allowed,
    channel_opted_out,
    erased,
    notice_missing,
    objected_or_suppressed,
    restricted,
    special_category,
)
from schemas.codes import Reason
from schemas.enums import Basis, Category, Channel
from schemas.errors import InvalidInputError
from schemas.outputs import Decision
from schemas.policy import Policy
from schemas.state import PersonState

_GUARDS: tuple[tuple[str, Callable[[Ctx], Reason | None]], ...] = (
    ("R1", erased),
    ("R2", restricted),
    ("R4", objected_or_suppressed),
    ("R4b", channel_opted_out),
    ("R3", notice_missing),
    ("R9", special_category),
    ("R5", basis_not_allowed),
)

_BASIS_RULE = {
    "CONSENT": "R6",
    "LEGITIMATE_INTERESTS": "R7",
    "CONTRACT": "R8",
    "LEGAL_OBLIGATION": "R10",
    "VITAL_INTERESTS": "R6(1)(d)",
    "PUBLIC_TASK": "R6(1)(e)",
}


def evaluate(
    state: PersonState,
    policy: Policy,
    purpose_id: str,
    channel: Channel | None,
    t: datetime,
    *,
    explain: bool = False,
) -> Decision:
    if state.person is None:
        raise InvalidInputError("person", "no person facts folded yet")
    purpose = policy.purpose(purpose_id)
    basis = effective_basis(state, policy, purpose_id, t)
    ctx = Ctx(state, policy, purpose, channel, t, state.person, basis, [] if explain else None)

    def refuse(reason: Reason, rule: str, row: str | None = None) -> Decision:
        return _decision(
            ctx, permitted=False, reason=reason, rule=rule, row=row, basis=basis, valid_until=None
        )

    for rule, guard in _GUARDS:
        reason = guard(ctx)
        if reason is not None:
            return refuse(reason, rule)
    result = basis_valid(ctx)
    basis_rule = _BASIS_RULE[basis.value]
    if result.reason is not None:
        return refuse(result.reason, basis_rule)
    if purpose.category is Category.MARKETING and channel is not None:
        outcome = marketing_channel(ctx, result.consent)
        rule = "R15" if outcome.row == "T21" else ("R6" if outcome.row == "T7" else "R12")
        if not outcome.permitted:
            return refuse(outcome.reason, rule, outcome.row)
        return _decision(
            ctx,
            permitted=True,
            reason=outcome.reason,
            rule=rule,
            row=outcome.row,
            basis=outcome.basis,
            valid_until=outcome.valid_until,
        )
    row = "T24" if purpose.category is Category.NON_MARKETING else None
    return _decision(
        ctx,
        permitted=True,
        reason=GRANT_REASON[basis],
        rule=basis_rule,
        row=row,
        basis=basis,
        valid_until=result.valid_until,
    )


def _decision(
    ctx: Ctx,
    *,
    permitted: bool,
    reason: Reason,
    rule: str,
    row: str | None,
    basis: Basis,
    valid_until: datetime | None,
) -> Decision:
    return Decision(
        purpose_id=ctx.purpose.id,
        channel=ctx.channel,
        at=ctx.t,
        permitted=permitted,
        reason=reason,
        rule=rule,
        row=row,
        effective_basis=basis,
        secondary_reasons=tuple(dict.fromkeys(ctx.flags)),
        valid_until=valid_until,
        trace=tuple(ctx.trace) if ctx.trace is not None else None,
    )


def channels_for(policy: Policy, purpose_id: str) -> tuple[Channel, ...]:
    return policy.purpose(purpose_id).channels or tuple(Channel)


def evaluate_matrix(
    state: PersonState,
    policy: Policy,
    t: datetime,
    purpose_ids: Iterable[str] | None = None,
    channels: Iterable[Channel] | None = None,
    *,
    explain: bool = False,
) -> list[Decision]:
    """Every (purpose, channel) cell asked, by default every purpose x its channels."""
    wanted = tuple(channels) if channels is not None else None
    return [
        evaluate(state, policy, purpose_id, channel, t, explain=explain)
        for purpose_id in (purpose_ids if purpose_ids is not None else policy.purposes)
        for channel in (wanted if wanted is not None else channels_for(policy, purpose_id))
    ]
