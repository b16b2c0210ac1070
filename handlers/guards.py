"""Rules that can refuse before the basis is looked at: R1, R2, R4, R4b, R3, R9, R5."""

from __future__ import annotations

from datetime import datetime

from handlers.consent import ConsentResult, consent_active
from handlers.context import Ctx
from schemas.codes import Reason
from schemas.enums import Actor, Basis, Category, ConsentStatus, SuppressionScope, UnsubscribeScope
from schemas.events import ConsentRecorded, LegalHoldSet

RETENTION_BASES = frozenset({Basis.CONTRACT, Basis.LEGAL_OBLIGATION})


def erased(ctx: Ctx) -> Reason | None:
    """R1: an executed erasure covers the purpose's data; retained data serve only retention."""
    for case in ctx.state.erasures.values():
        if case.executed_at is None or case.executed_at > ctx.t:
            continue
        purpose = ctx.purpose
        categories = set(purpose.data_categories)
        if purpose.category is Category.MARKETING or not categories:
            return ctx.check("R1", Reason.ERASED, request_id=case.request_id)
        if categories & set(case.erased_categories):
            return ctx.check("R1", Reason.ERASED, request_id=case.request_id)
        if ctx.basis not in RETENTION_BASES and not purpose.legal_claims:
            return ctx.check("R1", Reason.RESTRICTED, request_id=case.request_id)
    return ctx.check("R1", None, erasures=len(ctx.state.erasures))


def restricted(ctx: Ctx) -> Reason | None:
    """R2: an active restriction on the person or on the purpose (or an ancestor)."""
    lineage = ctx.policy.lineage(ctx.purpose.id)
    for restriction in ctx.state.restrictions.values():
        event = restriction.set_event
        if event.occurred_at > ctx.t:
            continue
        if restriction.lifted_at is not None and restriction.lifted_at <= ctx.t:
            continue
        if event.purpose_id is not None and event.purpose_id not in lineage:
            continue
        if ctx.purpose.legal_claims:
            return ctx.check("R2", None, restriction_id=event.restriction_id, legal_claims=True)
        return ctx.check("R2", Reason.RESTRICTED, restriction_id=event.restriction_id)
    return ctx.check("R2", None)


def _self_given(record: ConsentRecorded) -> bool:
    if record.actor is Actor.SELF or record.actor is Actor.PARENT:
        return True
    return record.actor is Actor.AGENT and record.evidence_ref is not None


def _lifted_by_fresh_consent(ctx: Ctx, since: datetime) -> bool:
    """A self-given consent for this purpose x channel after `since`, active under R6."""
    if ctx.channel is None or not ctx.policy.rules.fresh_consent_lifts_suppression:
        return False
    result: ConsentResult = consent_active(ctx.state, ctx.policy, ctx.purpose, ctx.channel, ctx.t)
    record = result.record
    return (
        result.active
        and record is not None
        and record.status is ConsentStatus.OPT_IN
        and record.occurred_at > since
        and _self_given(record)
    )


def objected_or_suppressed(ctx: Ctx) -> Reason | None:
    """R4: Art. 21(2) objection or suppression-list match (marketing only)."""
    if ctx.purpose.category is not Category.MARKETING:
        return None
    lineage = ctx.policy.lineage(ctx.purpose.id)
    for objection in ctx.state.dm_objections:
        if objection.occurred_at <= ctx.t and (
            objection.purpose_id is None or objection.purpose_id in lineage
        ):
            if _lifted_by_fresh_consent(ctx, objection.occurred_at):
                continue
            return ctx.check("R4", Reason.DM_OBJECTION, objection=objection.event_id)
    for entry in ctx.state.suppressions:
        if entry.occurred_at > ctx.t:
            continue
        if entry.scope is not SuppressionScope.DM_ALL and (
            ctx.channel is None or entry.scope.value != ctx.channel.value
        ):
            continue
        if _lifted_by_fresh_consent(ctx, entry.occurred_at):
            continue
        return ctx.check("R4", Reason.SUPPRESSED, scope=entry.scope)
    return ctx.check("R4", None)


def channel_opted_out(ctx: Ctx) -> Reason | None:
    """R4b: unsubscribe / STOP / do-not-call on this channel (marketing only)."""
    if ctx.purpose.category is not Category.MARKETING or ctx.channel is None:
        return None
    per_purpose = ctx.policy.rules.unsubscribe_scope is UnsubscribeScope.PURPOSE_CHANNEL
    lineage = ctx.policy.lineage(ctx.purpose.id)
    for opt_out in ctx.state.channel_opt_outs:
        if opt_out.occurred_at > ctx.t or opt_out.channel is not ctx.channel:
            continue
        if per_purpose and opt_out.purpose_id is not None and opt_out.purpose_id not in lineage:
            continue
        if _lifted_by_fresh_consent(ctx, opt_out.occurred_at):
            continue
        return ctx.check("R4b", Reason.CHANNEL_OPT_OUT, method=opt_out.method)
    return ctx.check("R4b", None)


def notice_missing(ctx: Ctx) -> Reason | None:
    """R3: a notice for the purpose (or an ancestor) by t; Art. 14 for third-party data."""
    art14_required = ctx.person.third_party_source
    for purpose_id in ctx.policy.lineage(ctx.purpose.id):
        for notice in ctx.state.notices.get(purpose_id, ()):
            if notice.occurred_at <= ctx.t and (notice.art14 or not art14_required):
                return ctx.check("R3", None, notice_version=notice.notice_version)
        if art14_required:
            continue
        for key, history in ctx.state.consents.items():
            if key.partition("|")[0] != purpose_id:
                continue
            for record in history:
                if record.notice_version and record.occurred_at <= ctx.t:
                    return ctx.check("R3", None, notice_version=record.notice_version)
    return ctx.check("R3", Reason.NO_NOTICE, art14_required=art14_required)


def special_category(ctx: Ctx) -> Reason | None:
    """R9: Art. 9 needs explicit consent (marketing) or a condition; Art. 10 an authorisation."""
    purpose = ctx.purpose
    if purpose.art10 and not purpose.art10_authorisation:
        return ctx.check("R9", Reason.ART10_AUTHORISATION_MISSING)
    if not purpose.special_category:
        return ctx.check("R9", None, special_category=False)
    if purpose.category is Category.NON_MARKETING:
        reason = None if purpose.art9_condition else Reason.ART9_CONDITION_MISSING
        return ctx.check("R9", reason, art9_condition=purpose.art9_condition)
    result = consent_active(ctx.state, ctx.policy, purpose, ctx.channel, ctx.t)
    explicit = result.active and result.record is not None and result.record.explicit
    reason = None if explicit else Reason.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED
    return ctx.check("R9", reason, consent_active=result.active, explicit=explicit)


def basis_not_allowed(ctx: Ctx) -> Reason | None:
    """R5: marketing rests only on consent or legitimate interests."""
    if ctx.purpose.category is Category.MARKETING and ctx.basis not in (
        Basis.CONSENT,
        Basis.LEGITIMATE_INTERESTS,
    ):
        return ctx.check("R5", Reason.BASIS_NOT_ALLOWED_FOR_MARKETING, basis=ctx.basis)
    return ctx.check("R5", None, basis=ctx.basis)


def active_hold(ctx: Ctx) -> LegalHoldSet | None:
    """R11: an active legal hold over one of the purpose's data categories."""
    categories = set(ctx.purpose.data_categories)
    for hold in ctx.state.holds.values():
        event = hold.set_event
        if hold.active_at(ctx.t) and categories & set(event.categories):
            ctx.check("R11", None, claim_ref=event.claim_ref)
            return event
    return None
