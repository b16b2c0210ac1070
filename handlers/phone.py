"""Live-call facts: DNC registers (R13), the FR contract exception (R14), FR call rules (R15)."""

from __future__ import annotations

from datetime import time, timedelta

from handlers.calendar import add_months, is_working_day
from handlers.context import Ctx
from handlers.zones import local_date, person_zone, zone
from schemas.codes import Reason
from schemas.config import by_jurisdiction
from schemas.enums import DncRegister, SubscriberType
from schemas.events import DncListed, DncRemoved

_WINDOWS = ((time(10), time(13)), (time(14), time(20)))
BLOCTEL_VALIDITY_MONTHS = 36


def _listing(ctx: Ctx, register: DncRegister) -> DncListed | None:
    """The register's latest status by t, by occurred_at (events may arrive out of order)."""
    latest: DncListed | DncRemoved | None = None
    for event in ctx.state.dnc:
        if event.occurred_at > ctx.t or event.dnc_register is not register:
            continue
        if latest is None or event.occurred_at >= latest.occurred_at:
            latest = event
    return latest if isinstance(latest, DncListed) else None


def uk_register_protects(ctx: Ctx) -> bool:
    register = (
        DncRegister.CTPS
        if ctx.person.subscriber_type is SubscriberType.CORPORATE
        else DncRegister.TPS
    )
    listing = _listing(ctx, register)
    if listing is None:
        return False
    if ctx.policy.rules.honour_tps_28_day_grace:  # (call_date - listed_date) in local days
        tz = person_zone(ctx.person, ctx.policy.rules)
        return (local_date(ctx.t, tz) - local_date(listing.listed_at, tz)).days >= 28
    return True


def bloctel_protects(ctx: Ctx) -> bool:
    listing = _listing(ctx, DncRegister.BLOCTEL)
    if listing is None:
        return False
    effective = listing.effective_from or listing.listed_at
    return effective <= ctx.t < add_months(effective, BLOCTEL_VALIDITY_MONTHS)


def ongoing_related_contract(ctx: Ctx) -> bool:
    """A contract in force at t whose subject is this purpose's product (or related to it)."""
    family = ctx.purpose.product_family
    if family is None:
        return False
    related = ctx.policy.rules.related_products
    for contract in ctx.person.contracts:
        if contract.in_force(ctx.t) and (
            family == contract.product_family or family in related.get(contract.product_family, ())
        ):
            return True
    return False


def fr_call_rule(ctx: Ctx, off_hours_consent: bool) -> Reason | None:
    """R15: call windows, 4 attempts per 30 days, 60-day cool-down after an in-call refusal."""
    paris = zone(by_jurisdiction(ctx.policy.rules.timezones, "FR", "Europe/Paris"))
    consumer_zone = zone(ctx.person.timezone) if ctx.person.timezone else paris
    local = ctx.t.astimezone(consumer_zone)
    extra = frozenset(ctx.policy.rules.public_holidays.get("FR", ()))
    in_window = is_working_day(local.date(), "FR", extra) and any(
        start <= local.time() < end for start, end in _WINDOWS
    )
    if not in_window and not off_hours_consent:
        return ctx.check("R15", Reason.FR_CALL_WINDOW, local_time=local.isoformat())
    since = ctx.t - timedelta(days=30)
    attempts = sum(1 for call in ctx.state.calls if since < call.occurred_at <= ctx.t)
    if attempts >= ctx.policy.rules.fr_call_max_attempts_30_days:
        return ctx.check("R15", Reason.FR_CALL_FREQUENCY, attempts_30_days=attempts)
    call_day = ctx.t.astimezone(paris).date()
    cooldown = ctx.policy.rules.fr_call_cooldown_days
    for refusal in ctx.state.refusals:
        if refusal.occurred_at > ctx.t:
            continue
        days = (call_day - refusal.occurred_at.astimezone(paris).date()).days
        if days <= cooldown:
            return ctx.check("R15", Reason.FR_CALL_COOLDOWN, days_since_refusal=days)
    ctx.check("R15", None, attempts_30_days=attempts)
    return None


def fr_consumer(ctx: Ctx) -> bool:
    return ctx.jurisdiction == "FR" and ctx.person.subscriber_type is SubscriberType.INDIVIDUAL


def fr_opt_in_regime(ctx: Ctx) -> bool:
    return ctx.t >= ctx.policy.rules.fr_phone_optin_date
