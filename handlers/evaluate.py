"""evaluate(person state, purpose, channel | None, t) → Decision, in the §7.0 order.

R1 → R2 → R4 → R4b → R3 → R9 → R5 → basis validity (R6/R7/R8/R10) → channel rules for
MARKETING (R12-R16, rows T9-T23, R15 as T21). The first failing rule gives the reason; when all
pass, the reason is the granting rule's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

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
from schemas.purpose import Purpose
from schemas.state import PersonState

Guard = Callable[[Ctx], Reason | None]
# Stages in evaluation order; PRE and MID do not depend on the channel (MID does, through R9,
# only for special-category marketing), so a matrix evaluates them once per purpose.
_PRE: tuple[tuple[str, Guard], ...] = (("R1", erased), ("R2", restricted))
_CHANNEL: tuple[tuple[str, Guard], ...] = (
    ("R4", objected_or_suppressed),
    ("R4b", channel_opted_out),
)
_MID: tuple[tuple[str, Guard], ...] = (
    ("R3", notice_missing),
    ("R9", special_category),
    ("R5", basis_not_allowed),
)

# §3.7 rows of the rules that can refuse before the channel rows.
_GUARD_ROW = {"R1": "T1", "R2": "T2", "R4": "T3", "R4b": "T4", "R3": "T4b", "R9": "T5", "R5": "T6"}
# Channel rows and the rule that states them (T9-T23 are R12 unless a narrower rule applies).
_ROW_RULE = {
    "T7": "R6",
    "T16": "R16",
    "T17": "R16",
    "T18": "R14",
    "T19": "R13",
    "T20": "R13",
    "T21": "R15",
}


def _basis_row(purpose: Purpose, basis: Basis) -> str | None:
    """Row of a basis-validity refusal: T7 (consent) / T8 (LIA) for marketing, T25 otherwise."""
    if purpose.category is Category.NON_MARKETING:
        return "T25"
    return {Basis.CONSENT: "T7", Basis.LEGITIMATE_INTERESTS: "T8"}.get(basis)


_BASIS_RULE = {
    Basis.CONSENT: "R6",
    Basis.LEGITIMATE_INTERESTS: "R7",
    Basis.CONTRACT: "R8",
    Basis.LEGAL_OBLIGATION: "R10",
    Basis.VITAL_INTERESTS: "Art6(1)(d)",
    Basis.PUBLIC_TASK: "Art6(1)(e)",
}


def evaluate(
    state: PersonState,
    policy: Policy,
    purpose_id: str,
    channel: Channel | None,
    t: datetime,
    *,
    explain: bool = False,
    memo: dict[tuple[str, str], Any] | None = None,
) -> Decision:
    """One cell. `memo` (one dict per state, policy and t) shares channel-free rule outcomes."""
    if state.person is None:
        raise InvalidInputError("person", "no person facts folded yet")
    purpose = policy.purpose(purpose_id)
    if explain:
        memo = None
    shared = memo is not None and purpose.category is Category.NON_MARKETING
    if shared and memo is not None and ("cell", purpose_id) in memo:
        cached: Decision = memo[("cell", purpose_id)]
        return replace(cached, channel=channel)
    basis = effective_basis(state, policy, purpose_id, t)
    ctx = Ctx(state, policy, purpose, channel, t, state.person, basis, [] if explain else None)
    decision = _evaluate(ctx, memo)
    if shared and memo is not None and basis is not Basis.CONSENT:
        memo[("cell", purpose_id)] = decision
    return decision


def _first(ctx: Ctx, guards: tuple[tuple[str, Guard], ...]) -> tuple[Reason, str] | None:
    for rule, guard in guards:
        reason = guard(ctx)
        if reason is not None:
            return reason, rule
    return None


def _stage(
    ctx: Ctx,
    memo: dict[tuple[str, str], Any] | None,
    name: str,
    guards: tuple[tuple[str, Guard], ...],
) -> tuple[Reason, str] | None:
    if memo is None:
        return _first(ctx, guards)
    key = (name, ctx.purpose.id)
    if key not in memo:
        memo[key] = _first(ctx, guards)
    failed: tuple[Reason, str] | None = memo[key]
    return failed


def _evaluate(ctx: Ctx, memo: dict[tuple[str, str], Any] | None) -> Decision:
    purpose, basis = ctx.purpose, ctx.basis

    def refuse(reason: Reason, rule: str, row: str | None = None) -> Decision:
        return _decision(
            ctx, permitted=False, reason=reason, rule=rule, row=row, basis=basis, valid_until=None
        )

    channel_bound = purpose.special_category and purpose.category is Category.MARKETING
    failed = (
        _stage(ctx, memo, "pre", _PRE)
        or _first(ctx, _CHANNEL)
        or _stage(ctx, None if channel_bound else memo, "mid", _MID)
    )
    if failed is not None:
        reason, rule = failed
        return refuse(reason, rule, _GUARD_ROW[rule])
    if memo is not None and basis is not Basis.CONSENT:
        key = ("basis", purpose.id)
        if key not in memo:
            memo[key] = basis_valid(ctx)
        result = memo[key]
    else:
        result = basis_valid(ctx)
    basis_rule = _BASIS_RULE[basis]
    if result.reason is not None:
        return refuse(result.reason, basis_rule, _basis_row(purpose, basis))
    if purpose.category is Category.MARKETING and ctx.channel is not None:
        outcome = marketing_channel(ctx, result.consent)
        rule = _ROW_RULE.get(outcome.row, "R12")
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
    memo: dict[tuple[str, str], Any] = {}
    return [
        evaluate(state, policy, purpose_id, channel, t, explain=explain, memo=memo)
        for purpose_id in (purpose_ids if purpose_ids is not None else policy.purposes)
        for channel in (wanted if wanted is not None else channels_for(policy, purpose_id))
    ]
