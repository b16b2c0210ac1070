"""Basis validity: R6 (consent), R7 (legitimate interests), R8 (contract), R10 (legal obligation),
vital interests and public task. Returns a refusal, or None with `ctx` noting validity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.calendar import add_months
from handlers.consent import ConsentResult, consent_active
from handlers.context import Ctx
from handlers.retention import retention_end
from handlers.zones import person_zone
from schemas.codes import Reason
from schemas.enums import (
    Basis,
    Category,
    Channel,
    ConsentStatus,
    ObjectionStatus,
)
from schemas.policy import Policy
from schemas.state import PersonState, consent_key

GRANT_REASON = {
    Basis.CONSENT: Reason.CONSENT_ACTIVE,
    Basis.CONTRACT: Reason.CONTRACT_ACTIVE,
    Basis.LEGAL_OBLIGATION: Reason.LEGAL_OBLIGATION_ACTIVE,
    Basis.LEGITIMATE_INTERESTS: Reason.LEGITIMATE_INTERESTS,
    Basis.VITAL_INTERESTS: Reason.VITAL_INTERESTS_ACTIVE,
    Basis.PUBLIC_TASK: Reason.PUBLIC_TASK_ACTIVE,
}


@dataclass(slots=True)  # not frozen: constructed in the hot path; never mutated
class BasisResult:
    reason: Reason | None  # None: the basis is valid
    valid_until: datetime | None = None
    consent: ConsentResult | None = None


def effective_basis(state: PersonState, policy: Policy, purpose_id: str, t: datetime) -> Basis:
    """The purpose's basis, or the latest accepted basis change for this person by t."""
    basis = policy.purpose(purpose_id).basis
    for change in state.basis_changes.get(purpose_id, ()):
        if change.at <= t:
            basis = change.basis
    return basis


def consent_for(ctx: Ctx) -> ConsentResult:
    """Consent for the cell; purpose-level records serve non-contact cells and non-marketing."""
    state, purpose, channel = ctx.state, ctx.purpose, ctx.channel
    if channel is not None:
        if purpose.category is Category.MARKETING or consent_key(purpose.id, channel) in (
            state.consents
        ):
            return consent_active(state, ctx.policy, purpose, channel, ctx.t)
        return consent_active(state, ctx.policy, purpose, None, ctx.t)
    if consent_key(purpose.id, None) in state.consents:
        return consent_active(state, ctx.policy, purpose, None, ctx.t)
    best: ConsentResult | None = None
    for key in state.consents:
        pid, _, ch = key.partition("|")
        if pid == purpose.id and ch:
            result = consent_active(state, ctx.policy, purpose, Channel(ch), ctx.t)
            if result.active:
                return result
            best = best or result
    return best or ConsentResult(False, Reason.CONSENT_NOT_OPT_IN)


def objection_reason(ctx: Ctx) -> Reason | None:
    """Art. 21(1) objections on the purpose or an ancestor (latest status per objection)."""
    lineage = ctx.policy.lineage(ctx.purpose.id)
    for objection_id, history in ctx.state.objections.items():
        current = None  # latest by occurred_at (events may arrive out of order)
        for event in history:
            if event.occurred_at <= ctx.t and (
                current is None or event.occurred_at >= current.occurred_at
            ):
                current = event
        if current is None or current.purpose_id not in lineage:
            continue
        if current.status is ObjectionStatus.UPHELD:
            return ctx.check("R7", Reason.OBJECTION_UPHELD, objection_id=objection_id)
        if current.status is ObjectionStatus.PENDING and ctx.policy.rules.objection_pending_blocks:
            return ctx.check("R7", Reason.OBJECTION_PENDING, objection_id=objection_id)
    return None


def _legitimate_interests(ctx: Ctx) -> BasisResult:
    purpose, t = ctx.purpose, ctx.t
    if not purpose.lia_valid_at(t):
        reason = ctx.check("R7", Reason.LIA_MISSING, lia_reference=purpose.lia_reference)
        return BasisResult(reason)
    review = purpose.lia_review_date
    months = ctx.policy.rules.lia_review_months
    if months is not None and purpose.lia_date is not None:
        computed = add_months(purpose.lia_date, months)
        review = computed if review is None else min(review, computed)
    if review is not None and t >= review:
        return BasisResult(ctx.check("R7", Reason.LIA_REVIEW_OVERDUE, review=review.isoformat()))
    if purpose.category is Category.NON_MARKETING:
        reason = objection_reason(ctx)
        if reason is not None:
            return BasisResult(reason)
    ctx.check("R7", None, lia_reference=purpose.lia_reference)
    return BasisResult(None, review)


def _contract(ctx: Ctx) -> BasisResult:
    grace = timedelta(days=ctx.policy.rules.contract_grace_days)
    family = ctx.purpose.product_family
    had_any = False
    for contract in ctx.person.contracts:
        if family is not None and contract.product_family != family:
            continue
        had_any = had_any or contract.start <= ctx.t
        if contract.start <= ctx.t and (contract.end is None or ctx.t < contract.end + grace):
            until = None if contract.end is None else contract.end + grace
            ctx.check("R8", None, contract_id=contract.id)
            return BasisResult(None, until)
    for quote in ctx.person.quotes:
        if family is not None and quote.product_family != family:
            continue
        had_any = had_any or quote.requested_at <= ctx.t
        if quote.requested_at <= ctx.t < quote.valid_until:
            ctx.check("R8", None, quote_id=quote.id)
            return BasisResult(None, quote.valid_until)
    reason = Reason.CONTRACT_ENDED if had_any else Reason.NO_CONTRACT
    return BasisResult(ctx.check("R8", reason, product_family=family))


def retention_until(ctx: Ctx) -> datetime | None:
    """End of a legal-obligation retention, from the purpose's rule and its trigger."""
    rule = ctx.purpose.retention
    if rule is None:
        return None
    uses = [
        r.occurred_at
        for history in ctx.state.consents.values()
        for r in history
        if r.purpose_id == ctx.purpose.id and r.status is ConsentStatus.OPT_IN
    ]
    return retention_end(rule, ctx.person, uses, tz=person_zone(ctx.person, ctx.policy.rules))[1]


def _legal_obligation(ctx: Ctx) -> BasisResult:
    if not ctx.purpose.legal_reference:
        return BasisResult(ctx.check("R10", Reason.LEGAL_REF_MISSING))
    until = retention_until(ctx)
    if until is not None and ctx.t >= until:
        return BasisResult(ctx.check("R10", Reason.RETENTION_ENDED, until=until.isoformat()))
    ctx.check("R10", None, legal_reference=ctx.purpose.legal_reference)
    return BasisResult(None, until)


def _vital_interests(ctx: Ctx) -> BasisResult:
    window = timedelta(hours=ctx.policy.rules.vital_interests_window_hours)
    for at in ctx.state.vital_interests.get(ctx.purpose.id, ()):
        if at <= ctx.t < at + window:
            ctx.check("R6-VI", None, invoked_at=at.isoformat())
            return BasisResult(None, at + window)
    return BasisResult(ctx.check("R6-VI", Reason.VITAL_INTERESTS_NOT_INVOKED))


def _public_task(ctx: Ctx) -> BasisResult:
    if not ctx.purpose.legal_reference:
        return BasisResult(ctx.check("R10-PT", Reason.LEGAL_REF_MISSING))
    reason = objection_reason(ctx)
    if reason is None:
        ctx.check("R10-PT", None, legal_reference=ctx.purpose.legal_reference)
    return BasisResult(reason)


def _consent(ctx: Ctx) -> BasisResult:
    result = consent_for(ctx)
    reason = None if result.active else result.reason
    ctx.flags.extend(result.flags)
    if ctx.trace is not None:
        ctx.check("R6", reason, channel=ctx.channel)
    return BasisResult(reason, result.valid_until, result)


def basis_valid(ctx: Ctx) -> BasisResult:
    if ctx.basis is Basis.CONSENT:
        return _consent(ctx)
    if ctx.basis is Basis.LEGITIMATE_INTERESTS:
        return _legitimate_interests(ctx)
    if ctx.basis is Basis.CONTRACT:
        return _contract(ctx)
    if ctx.basis is Basis.LEGAL_OBLIGATION:
        return _legal_obligation(ctx)
    if ctx.basis is Basis.VITAL_INTERESTS:
        return _vital_interests(ctx)
    return _public_task(ctx)
