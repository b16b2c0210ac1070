"""R12-R16 and R15: the ePrivacy channel rules for MARKETING purposes (§3.7 rows T9-T23)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.consent import ConsentResult, consent_active
from handlers.context import Ctx
from handlers.phone import (
    bloctel_protects,
    fr_call_rule,
    fr_consumer,
    fr_opt_in_regime,
    ongoing_related_contract,
    uk_register_protects,
)
from handlers.soft_opt_in import soft_opt_in
from schemas.codes import Reason
from schemas.config import by_jurisdiction
from schemas.enums import (
    ELECTRONIC_MAIL,
    Basis,
    Channel,
    ContactPointKind,
    LiveCallRegime,
    SubscriberType,
)

_CONSENT_ROW = {Channel.PHONE_AUTOMATED: "T9", Channel.POST: "T23"}
_OPT_OUT_REGIMES = frozenset({LiveCallRegime.OPT_OUT, LiveCallRegime.OPT_OUT_REGISTER})


@dataclass(slots=True)  # not frozen: constructed in the hot path; never mutated
class Outcome:
    reason: Reason
    row: str
    basis: Basis
    valid_until: datetime | None = None

    @property
    def permitted(self) -> bool:
        return self.reason in _GRANTS


_GRANTS = frozenset(
    {
        Reason.CONSENT_ACTIVE,
        Reason.B2B_CORPORATE_LI,
        Reason.B2B_PROFESSIONAL_LI,
        Reason.SOFT_OPT_IN,
        Reason.PHONE_LI,
        Reason.POSTAL_LI,
    }
)


def _opt_out_offered(ctx: Ctx, kind: ContactPointKind) -> bool:
    return any(
        cp.kind is kind and cp.opt_out_offered_at_collection for cp in ctx.person.contact_points
    )


def _opt_out_required(ctx: Ctx) -> bool:
    return by_jurisdiction(ctx.policy.rules.require_opt_out_at_collection, ctx.jurisdiction, False)


def marketing_channel(ctx: Ctx, consent: ConsentResult | None) -> Outcome:
    """Apply the channel rows; `consent` is the R6 result when the purpose basis is consent."""
    channel = ctx.channel
    assert channel is not None  # noqa: S101 - callers pass a channel for channel rules
    if consent is None:  # LI purpose: a channel consent is the effective basis (R6 in full)
        consent = consent_active(ctx.state, ctx.policy, ctx.purpose, channel, ctx.t)
        if consent.active:
            ctx.flags.extend(consent.flags)
    if channel is Channel.PHONE_LIVE:
        return _live_call(ctx, consent)
    if consent.active:
        row = _CONSENT_ROW.get(channel, "T10")
        return Outcome(Reason.CONSENT_ACTIVE, row, Basis.CONSENT, consent.valid_until)
    if ctx.basis is Basis.CONSENT:  # T7: the purpose rests on consent for every channel
        return Outcome(consent.reason, "T7", Basis.CONSENT)
    if channel is Channel.PHONE_AUTOMATED:
        return Outcome(Reason.EPRIVACY_CONSENT_REQUIRED, "T9", ctx.basis)
    if channel is Channel.POST:
        return _post(ctx)
    if channel in ELECTRONIC_MAIL:
        return _electronic_mail(ctx, channel)
    return Outcome(Reason.EPRIVACY_CONSENT_REQUIRED, "T15", ctx.basis)


def _post(ctx: Ctx) -> Outcome:
    if _opt_out_required(ctx) and not _opt_out_offered(ctx, ContactPointKind.ADDRESS):
        return Outcome(Reason.NO_OPT_OUT_AT_COLLECTION, "T23", ctx.basis)
    return Outcome(Reason.POSTAL_LI, "T23", Basis.LEGITIMATE_INTERESTS)


def _electronic_mail(ctx: Ctx, channel: Channel) -> Outcome:
    person = ctx.person
    if ctx.jurisdiction == "UK" and person.subscriber_type is SubscriberType.CORPORATE:
        return Outcome(Reason.B2B_CORPORATE_LI, "T11", Basis.LEGITIMATE_INTERESTS)
    if ctx.jurisdiction == "FR" and channel is Channel.EMAIL:
        professional = [
            cp
            for cp in person.contact_points
            if cp.kind is ContactPointKind.EMAIL and cp.is_professional
        ]
        if professional:
            if not ctx.purpose.relevant_to_professional_role:
                return Outcome(Reason.B2B_NOT_RELEVANT_TO_ROLE, "T13", ctx.basis)
            if any(cp.opt_out_offered_at_collection for cp in professional):
                return Outcome(Reason.B2B_PROFESSIONAL_LI, "T12", Basis.LEGITIMATE_INTERESTS)
    result = soft_opt_in(ctx, channel)
    ctx.check("R12", None if result.met else result.reason, soft_opt_in=result.met)
    if result.met:
        return Outcome(Reason.SOFT_OPT_IN, "T14", Basis.LEGITIMATE_INTERESTS, result.valid_until)
    return Outcome(result.reason, "T15", ctx.basis)


def _live_call(ctx: Ctx, consent: ConsentResult) -> Outcome:
    person, basis = ctx.person, ctx.basis
    if not consent.active and basis is Basis.CONSENT:
        return Outcome(consent.reason, "T7", Basis.CONSENT)
    if ctx.jurisdiction == "DE" and not consent.active:
        if person.subscriber_type is SubscriberType.INDIVIDUAL:
            return Outcome(Reason.EPRIVACY_CONSENT_REQUIRED, "T16", basis)
        if not (person.presumed_consent_ref and ctx.policy.rules.b2b_presumed_consent_allowed):
            return Outcome(Reason.EPRIVACY_CONSENT_REQUIRED, "T17", basis)
        return Outcome(Reason.PHONE_LI, "T17", Basis.LEGITIMATE_INTERESTS)
    contract_exception = ongoing_related_contract(ctx)
    if fr_consumer(ctx) and not consent.active and not contract_exception:
        if fr_opt_in_regime(ctx):
            return Outcome(Reason.FR_PHONE_CONSENT_REQUIRED, "T18", basis)
        if bloctel_protects(ctx):
            return Outcome(Reason.DNC_REGISTERED, "T19", basis)
    if ctx.jurisdiction == "UK" and not consent.active and uk_register_protects(ctx):
        return Outcome(Reason.DNC_REGISTERED, "T20", basis)
    if fr_consumer(ctx):
        off_hours = consent.active and consent.record is not None and consent.record.off_hours_calls
        refusal = fr_call_rule(ctx, off_hours)
        if refusal is not None:
            return Outcome(refusal, "T21", basis)
    if consent.active:
        return Outcome(Reason.CONSENT_ACTIVE, "T22", Basis.CONSENT, consent.valid_until)
    return _live_call_li(ctx, contract_exception)


def _live_call_li(ctx: Ctx, contract_exception: bool) -> Outcome:
    regime = by_jurisdiction(
        ctx.policy.rules.live_call_regime, ctx.jurisdiction, LiveCallRegime.OPT_IN
    )
    if ctx.jurisdiction == "FR" and fr_opt_in_regime(ctx):
        regime = LiveCallRegime.OPT_IN_WITH_CONTRACT_EXCEPTION
    corporate_fr = ctx.jurisdiction == "FR" and not fr_consumer(ctx)
    allowed = (
        regime in _OPT_OUT_REGIMES
        or corporate_fr
        or (regime is LiveCallRegime.OPT_IN_WITH_CONTRACT_EXCEPTION and contract_exception)
    )
    if not allowed:
        return Outcome(Reason.EPRIVACY_CONSENT_REQUIRED, "T22b", ctx.basis)
    if _opt_out_required(ctx) and not _opt_out_offered(ctx, ContactPointKind.PHONE):
        return Outcome(Reason.NO_OPT_OUT_AT_COLLECTION, "T22b", ctx.basis)
    return Outcome(Reason.PHONE_LI, "T22b", Basis.LEGITIMATE_INTERESTS)
