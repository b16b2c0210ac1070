"""T14/T15: the soft opt-in for existing customers (ePD 13(2), PECR 22(3), L34-5, UWG 7(3))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.calendar import add_months
from handlers.context import Ctx
from schemas.codes import Reason
from schemas.config import by_jurisdiction
from schemas.enums import Channel, ConsentStatus, ContactPointKind, ObtainedVia
from schemas.state import consent_key

_CONTACT_KIND = {
    Channel.EMAIL: ContactPointKind.EMAIL,
    Channel.SMS: ContactPointKind.PHONE,
    Channel.SOCIAL_DM: ContactPointKind.SOCIAL,
}


@dataclass(slots=True)  # not frozen: constructed in the hot path; never mutated
class SoftOptIn:
    met: bool
    reason: Reason  # SOFT_OPT_IN, SOFT_OPT_IN_NOT_MET or EPRIVACY_CONSENT_REQUIRED
    valid_until: datetime | None = None


@dataclass(slots=True)  # not frozen: constructed in the hot path; never mutated
class _Sale:
    id: str
    family: str
    brand: str | None
    at: datetime
    negotiation: bool


def _sales(ctx: Ctx) -> list[_Sale]:
    person, t = ctx.person, ctx.t
    sales = [_Sale(p.id, p.product_family, p.brand, p.at, False) for p in person.purchases]
    sales += [_Sale(c.id, c.product_family, c.brand, c.start, False) for c in person.contracts]
    if ctx.jurisdiction == "UK":  # negotiations for a sale count only under PECR
        sales += [
            _Sale(q.id, q.product_family, q.brand, q.requested_at, True) for q in person.quotes
        ]
    return [sale for sale in sales if sale.at <= t]


def _relationship_end(ctx: Ctx) -> tuple[bool, datetime | None]:
    """Whether a contract is in force, and the later of last contract end and last purchase."""
    person, t = ctx.person, ctx.t
    if any(c.in_force(t) for c in person.contracts):
        return True, None
    ends = [c.end for c in person.contracts if c.end is not None and c.end <= t]
    ends += [p.at for p in person.purchases if p.at <= t]
    return False, max(ends) if ends else None


def _refused(ctx: Ctx, channel: Channel) -> bool:
    """An OPT_OUT for this channel (or channel-less) on the purpose or a category above it."""
    for purpose_id in ctx.policy.lineage(ctx.purpose.id):
        for key in (consent_key(purpose_id, channel), consent_key(purpose_id, None)):
            history = ctx.state.consents.get(key, ())
            if any(r.status is ConsentStatus.OPT_OUT and r.occurred_at <= ctx.t for r in history):
                return True
    return False


def _similar(ctx: Ctx, sale_family: str) -> bool:
    family = ctx.purpose.product_family
    if family is None:
        return False
    return family == sale_family or family in ctx.policy.rules.similar_products.get(sale_family, ())


def soft_opt_in(ctx: Ctx, channel: Channel) -> SoftOptIn:
    memo = ctx.memo
    if "sales" not in memo:  # channel-free: computed once per purpose row
        memo["sales"] = _sales(ctx)
        memo["relationship"] = _relationship_end(ctx)
    sales: list[_Sale] = memo["sales"]
    if not sales:
        return SoftOptIn(False, Reason.EPRIVACY_CONSENT_REQUIRED)
    not_met = SoftOptIn(False, Reason.SOFT_OPT_IN_NOT_MET)
    if _refused(ctx, channel):
        return not_met
    ongoing, last_end = memo["relationship"]
    window = by_jurisdiction(ctx.policy.rules.soft_opt_in_window_months, ctx.jurisdiction, 24)
    valid_until = None if ongoing or last_end is None else add_months(last_end, window)
    if valid_until is not None and ctx.t >= valid_until:
        return not_met
    kind = _CONTACT_KIND[channel]
    purpose_brand = ctx.purpose.brand
    cross_brand = ctx.policy.rules.soft_opt_in_cross_brand
    allowed_via = {ObtainedVia.SALE}
    if ctx.jurisdiction == "UK":
        allowed_via.add(ObtainedVia.NEGOTIATION)
    for sale in sales:
        if not _similar(ctx, sale.family):
            continue
        if not cross_brand and purpose_brand and sale.brand and purpose_brand != sale.brand:
            continue
        for cp in ctx.person.contact_points:
            if (
                cp.kind is kind
                and cp.obtained_via in allowed_via
                and cp.opt_out_offered_at_collection
                and cp.obtained_in_sale_id in (None, sale.id)
            ):
                return SoftOptIn(True, Reason.SOFT_OPT_IN, valid_until)
    return not_met
