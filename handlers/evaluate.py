"""evaluate(person state, purpose, channel | None, t) → Decision, in the §7.0 order.

R1 → R2 → R4 → R4b → R3 → R9 → R5 → basis validity (R6/R7/R8/R10) → channel rules for
MARKETING (R12-R16, rows T9-T23, R15 as T21). The first failing rule gives the reason; when all
pass, the reason is the granting rule's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from handlers.basis import GRANT_REASON, basis_valid, effective_basis
from handlers.channels import marketing_channel
from handlers.consent import consent_active
from handlers.context import Ctx
from handlers.guards import (
    active_hold,
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


_UNSET: Any = object()


class _Shared:
    """Channel-free outcomes for one purpose, computed on the first cell of a matrix row."""

    __slots__ = ("basis", "mid", "pre")

    def __init__(self) -> None:
        self.pre: Any = _UNSET
        self.mid: Any = _UNSET
        self.basis: Any = _UNSET


def evaluate(
    state: PersonState,
    policy: Policy,
    purpose_id: str,
    channel: Channel | None,
    t: datetime,
    *,
    explain: bool = False,
) -> Decision:
    """One cell: (person, purpose, channel | None, t) -> Decision."""
    return evaluate_purpose(state, policy, purpose_id, (channel,), t, explain=explain)[0]


def evaluate_purpose(
    state: PersonState,
    policy: Policy,
    purpose_id: str,
    channels: Iterable[Channel | None],
    t: datetime,
    *,
    explain: bool = False,
) -> list[Decision]:
    """One purpose across channels; channel-free rules run once (not when explaining)."""
    if state.person is None:
        raise InvalidInputError("person", "no person facts folded yet")
    purpose = policy.purpose(purpose_id)
    basis = effective_basis(state, policy, purpose_id, t)
    ctx = Ctx(state, policy, purpose, None, t, state.person, basis, None)
    if not explain and not (purpose.special_category and purpose.category is Category.MARKETING):
        return _purpose_row(ctx, channels)
    shared = None if explain else _Shared()
    decisions = []
    for channel in channels:
        ctx.channel = channel
        if ctx.flags:
            ctx.flags = []
        if explain:
            ctx.trace = []
        decisions.append(_evaluate(ctx, shared))
    return decisions


def _purpose_row(ctx: Ctx, channels: Iterable[Channel | None]) -> list[Decision]:
    """The matrix row of one purpose, running each channel-free rule once.

    R1, R2, R3, R9 and R5 do not depend on the channel here (R9 does only for special-category
    marketing, which takes the per-cell path); R4/R4b do, but only when the person has an
    objection, a suppression or a channel opt-out. The order of the rules is unchanged.
    """
    state = ctx.state
    shared = _Shared()
    channel_facts = state.dm_objections or state.suppressions or state.channel_opt_outs
    first = shared.pre = _first(ctx, _PRE)  # the per-cell path below reuses it
    if first is None and not channel_facts:
        first = _first(ctx, _MID)
    decisions: list[Decision] = []
    template: Decision | None = None
    replicate = ctx.purpose.category is Category.NON_MARKETING and ctx.basis is not Basis.CONSENT
    for channel in channels:
        ctx.channel = channel
        if ctx.flags:
            ctx.flags = []
        if template is not None:
            decisions.append(_with_channel(template, channel))
            continue
        if first is not None:
            reason, rule = first
            decision = _decision(ctx, False, reason, rule, _GUARD_ROW[rule], ctx.basis, None)
            template = decision
        elif channel_facts:
            decision = _evaluate(ctx, shared)
        else:
            decision = _after_guards(ctx, shared)
        if replicate:
            template = decision
        decisions.append(decision)
    return decisions


def _with_channel(d: Decision, channel: Channel | None) -> Decision:
    return Decision(
        d.purpose_id,
        channel,
        d.at,
        d.permitted,
        d.reason,
        d.rule,
        d.row,
        d.effective_basis,
        d.secondary_reasons,
        d.valid_until,
        d.trace,
    )


def _first(ctx: Ctx, guards: tuple[tuple[str, Guard], ...]) -> tuple[Reason, str] | None:
    for rule, guard in guards:
        reason = guard(ctx)
        if reason is not None:
            return reason, rule
    return None


def _guards(ctx: Ctx, shared: _Shared | None) -> tuple[Reason, str] | None:
    """R1, R2 (channel-free), R4, R4b (per channel), R3, R9, R5 (channel-free but for R9 on
    special-category marketing), in that order."""
    state, purpose = ctx.state, ctx.purpose
    if shared is None:
        failed = _first(ctx, _PRE)
    else:
        if shared.pre is _UNSET:
            shared.pre = _first(ctx, _PRE)
        failed = shared.pre
    if failed is None and (state.dm_objections or state.suppressions or state.channel_opt_outs):
        failed = _first(ctx, _CHANNEL)
    if failed is not None:
        return failed
    if shared is None or (purpose.special_category and purpose.category is Category.MARKETING):
        return _first(ctx, _MID)
    if shared.mid is _UNSET:
        shared.mid = _first(ctx, _MID)
    mid: tuple[Reason, str] | None = shared.mid
    return mid


def _evaluate(ctx: Ctx, shared: _Shared | None) -> Decision:
    failed = _guards(ctx, shared)
    if failed is not None:
        reason, rule = failed
        return _decision(ctx, False, reason, rule, _GUARD_ROW[rule], ctx.basis, None)
    return _after_guards(ctx, shared)


def _after_guards(ctx: Ctx, shared: _Shared | None) -> Decision:
    """Basis validity, then the channel rows (marketing) or the basis grant (T24/T25)."""
    purpose, basis = ctx.purpose, ctx.basis
    if (
        basis is Basis.CONSENT
        and ctx.channel is not None
        and ctx.trace is None
        and (purpose.category is Category.MARKETING)
    ):  # the common cell: R6 for (purpose, channel), then the channel rows
        consent = consent_active(ctx.state, ctx.policy, purpose, ctx.channel, ctx.t)
        if consent.flags:
            ctx.flags.extend(consent.flags)
        if not consent.active:
            return _decision(ctx, False, consent.reason, "R6", "T7", basis, None)
        outcome = marketing_channel(ctx, consent)
        rule = _ROW_RULE.get(outcome.row, "R12")
        return _decision(
            ctx,
            outcome.permitted,
            outcome.reason,
            rule,
            outcome.row,
            outcome.basis if outcome.permitted else basis,
            outcome.valid_until if outcome.permitted else None,
        )
    if shared is not None and basis is not Basis.CONSENT:
        if shared.basis is _UNSET:
            shared.basis = basis_valid(ctx)
        result = shared.basis
    else:
        result = basis_valid(ctx)
    basis_rule = _BASIS_RULE[basis]
    if result.reason is not None and purpose.legal_claims:
        hold = active_hold(ctx)
        if hold is not None:  # R11: a legal-claims hold allows claims processing only
            return _decision(ctx, True, Reason.LEGAL_CLAIMS_HOLD, "R11", None, basis, hold.until)
    if result.reason is not None:
        return _decision(
            ctx, False, result.reason, basis_rule, _basis_row(purpose, basis), basis, None
        )
    if purpose.category is Category.MARKETING and ctx.channel is not None:
        outcome = marketing_channel(ctx, result.consent)
        rule = _ROW_RULE.get(outcome.row, "R12")
        if not outcome.permitted:
            return _decision(ctx, False, outcome.reason, rule, outcome.row, basis, None)
        return _decision(
            ctx, True, outcome.reason, rule, outcome.row, outcome.basis, outcome.valid_until
        )
    row = "T24" if purpose.category is Category.NON_MARKETING else None
    return _decision(ctx, True, GRANT_REASON[basis], basis_rule, row, basis, result.valid_until)


def _decision(  # noqa: PLR0917 - hot path: positional construction is measurably cheaper
    ctx: Ctx,
    permitted: bool,
    reason: Reason,
    rule: str,
    row: str | None,
    basis: Basis,
    valid_until: datetime | None,
) -> Decision:
    flags = ctx.flags
    trace = ctx.trace
    return Decision(
        ctx.purpose.id,
        ctx.channel,
        ctx.t,
        permitted,
        reason,
        rule,
        row,
        basis,
        tuple(dict.fromkeys(flags)) if flags else (),
        valid_until,
        tuple(trace) if trace is not None else None,
    )


_EVERY_CHANNEL = tuple(Channel)


def channels_for(policy: Policy, purpose_id: str) -> tuple[Channel, ...]:
    return policy.purpose(purpose_id).channels or _EVERY_CHANNEL


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
    decisions: list[Decision] = []
    for purpose_id in purpose_ids if purpose_ids is not None else policy.purposes:
        row = wanted if wanted is not None else channels_for(policy, purpose_id)
        decisions.extend(evaluate_purpose(state, policy, purpose_id, row, t, explain=explain))
    return decisions
