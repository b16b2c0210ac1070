"""Test builders for the GDPR decision engine: person, purposes, policy, events, fold.

Event constructors take the instant as an ISO string (UTC unless an offset is given) and give
every event a unique, creation-ordered id, so events at the same instant fold in the order the
test wrote them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from handlers.evaluate import evaluate
from handlers.fold import fold_all
from schemas.config import RulesConfig
from schemas.enums import (
    Basis,
    CaptureMethod,
    Category,
    Channel,
    ConsentStatus,
    ContactPointKind,
    DncRegister,
    Engagement,
    LiaOutcome,
    ObjectionStatus,
    ObtainedVia,
    OptOutMethod,
    SuppressionScope,
)
from schemas.events import (
    AlertEmitted,
    BaseEvent,
    BasisChangeRequested,
    CallAttempted,
    ChannelOptedOut,
    ConsentReconfirmed,
    ConsentRecordDeleted,
    ConsentRecorded,
    DncListed,
    DncRemoved,
    DoubleOptInConfirmed,
    EngagementRecorded,
    ErasureExecuted,
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureIdentityRequested,
    ErasureRequested,
    EventSource,
    InCallRefusal,
    LegalHoldReleased,
    LegalHoldSet,
    MarketingObjection,
    NoticeShown,
    PersonUpdated,
    ProcessingObjection,
    RestrictionLifted,
    RestrictionLiftNotified,
    RestrictionSet,
    SuppressionAdded,
)
from schemas.outputs import Decision, Effect
from schemas.person import ContactPoint, Contract, Person, Purchase, Quote, Recipient
from schemas.policy import Policy
from schemas.purpose import Purpose
from schemas.state import PersonState

EMAIL, SMS, PHONE, ROBOCALL, POST, SOCIAL = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.PHONE_LIVE,
    Channel.PHONE_AUTOMATED,
    Channel.POST,
    Channel.SOCIAL_DM,
)

# Standard purpose ids
CATEGORY = "insurance-mkt"  # marketing category (parent)
PET = "pet-mkt"  # consent-based marketing for the pet product (child of CATEGORY)
CAR = "car-mkt"  # consent-based marketing for the car product (child of CATEGORY)
PET_LI = "pet-li"  # LI-based marketing for the pet product
ADMIN = "policy-admin"  # contract-based non-marketing
ACCOUNTING = "accounting"  # legal-obligation non-marketing
FRAUD = "fraud-li"  # LI-based non-marketing

PERSON_EMAIL = "Alex.Doe@Example.org"
PERSON_PHONE = "07700 900123"

_ids = itertools.count(1)


def t(text: str) -> datetime:
    """An aware instant; a value without an offset is taken as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def d(text: str) -> date:
    return date.fromisoformat(text)


def _id(prefix: str = "ev") -> str:
    return f"{prefix}-{next(_ids):06d}"


# --- person ---------------------------------------------------------------------------------


def contact(
    kind: ContactPointKind = ContactPointKind.EMAIL,
    value: str | None = None,
    *,
    via: ObtainedVia = ObtainedVia.SALE,
    opt_out_offered: bool = True,
    professional: bool = False,
    sale_id: str | None = None,
) -> ContactPoint:
    default = {
        ContactPointKind.EMAIL: PERSON_EMAIL,
        ContactPointKind.PHONE: PERSON_PHONE,
        ContactPointKind.ADDRESS: "1 High Street, Leeds",
        ContactPointKind.SOCIAL: "@alexdoe",
    }[kind]
    return ContactPoint(
        id=_id("cp"),
        kind=kind,
        value=value if value is not None else default,
        is_professional=professional,
        opt_out_offered_at_collection=opt_out_offered,
        obtained_via=via,
        obtained_in_sale_id=sale_id,
    )


def all_contacts(
    *, via: ObtainedVia = ObtainedVia.SALE, opt_out_offered: bool = True
) -> tuple[ContactPoint, ...]:
    return tuple(
        contact(kind, via=via, opt_out_offered=opt_out_offered)
        for kind in (
            ContactPointKind.EMAIL,
            ContactPointKind.PHONE,
            ContactPointKind.ADDRESS,
            ContactPointKind.SOCIAL,
        )
    )


def contract(
    start: str = "2025-01-01",
    end: str | None = None,
    *,
    family: str = "pet",
    brand: str | None = "acme",
    contract_id: str | None = None,
) -> Contract:
    return Contract(
        id=contract_id or _id("contract"),
        product_family=family,
        brand=brand,
        start=t(start),
        end=t(end) if end else None,
    )


def quote(
    requested: str = "2025-01-01",
    valid_until: str = "2025-02-01",
    *,
    family: str = "pet",
    brand: str | None = "acme",
) -> Quote:
    return Quote(
        id=_id("quote"),
        product_family=family,
        brand=brand,
        requested_at=t(requested),
        valid_until=t(valid_until),
    )


def purchase(
    at: str = "2025-01-01", *, family: str = "pet", brand: str | None = "acme"
) -> Purchase:
    return Purchase(id=_id("purchase"), product_family=family, brand=brand, at=t(at))


def person(jurisdiction: str = "UK", **fields: Any) -> Person:
    """A person; `birth_date` defaults to an adult, contact points to every kind (via SALE)."""
    fields.setdefault("birth_date", date(1980, 5, 17))
    fields.setdefault("contact_points", all_contacts())
    if isinstance(fields["birth_date"], str):
        fields["birth_date"] = d(fields["birth_date"])
    return Person(individual_id="0PK000000000001AAA", jurisdiction=jurisdiction, **fields)


def recipients(*ids: str) -> tuple[Recipient, ...]:
    return tuple(Recipient(id=i) for i in ids)


# --- purposes and policy --------------------------------------------------------------------


def purpose(
    purpose_id: str,
    category: Category = Category.MARKETING,
    basis: Basis = Basis.CONSENT,
    **fields: Any,
) -> Purpose:
    return Purpose(id=purpose_id, category=category, basis=basis, **fields)


def li_fields(lia_date: str = "2020-01-01") -> dict[str, Any]:
    return {"lia_reference": "LIA-1", "lia_outcome": LiaOutcome.PASS, "lia_date": t(lia_date)}


def standard_purposes() -> list[Purpose]:
    return [
        purpose(CATEGORY),
        purpose(PET, parent_id=CATEGORY, product_family="pet", brand="acme"),
        purpose(CAR, parent_id=CATEGORY, product_family="car", brand="acme"),
        purpose(
            PET_LI,
            basis=Basis.LEGITIMATE_INTERESTS,
            product_family="pet",
            brand="acme",
            **li_fields(),
        ),
        purpose(
            ADMIN,
            Category.NON_MARKETING,
            Basis.CONTRACT,
            product_family="pet",
            data_categories=("CONTRACT_DATA",),
        ),
        purpose(
            ACCOUNTING,
            Category.NON_MARKETING,
            Basis.LEGAL_OBLIGATION,
            legal_reference="Code de commerce L123-22",
            data_categories=("ACCOUNTING_RECORDS",),
        ),
        purpose(FRAUD, Category.NON_MARKETING, Basis.LEGITIMATE_INTERESTS, **li_fields()),
    ]


def policy(purposes: list[Purpose] | None = None, **rules: Any) -> Policy:
    return Policy(RulesConfig(**rules), purposes if purposes is not None else standard_purposes())


# --- events ---------------------------------------------------------------------------------


def consent(
    purpose_id: str,
    channel: Channel | None,
    at: str,
    status: ConsentStatus = ConsentStatus.OPT_IN,
    **fields: Any,
) -> ConsentRecorded:
    """A fully evidenced consent record by the person themself (override any field)."""
    if status is ConsentStatus.OPT_IN:
        fields.setdefault("capture_source", "web:form")
        fields.setdefault("capture_method", CaptureMethod.CHECKBOX_UNTICKED)
        fields.setdefault("notice_version", "PN-1")
    for key in ("effective_from", "effective_to", "double_opt_in_at"):
        if isinstance(fields.get(key), str):
            fields[key] = t(fields[key])
    return ConsentRecorded(
        event_id=_id(),
        occurred_at=t(at),
        purpose_id=purpose_id,
        channel=channel,
        status=status,
        **fields,
    )


def withdraw(purpose_id: str, channel: Channel | None, at: str) -> ConsentRecorded:
    return consent(purpose_id, channel, at, ConsentStatus.OPT_OUT)


def consent_deleted(record_id: str, at: str) -> ConsentRecordDeleted:
    """The ContactPointTypeConsent `record_id` deleted at `at`."""
    return ConsentRecordDeleted(
        event_id=_id(),
        occurred_at=t(at),
        source=EventSource(record_id=record_id),
        record_id=record_id,
    )


def doi(purpose_id: str, channel: Channel, at: str) -> DoubleOptInConfirmed:
    return DoubleOptInConfirmed(
        event_id=_id(), occurred_at=t(at), purpose_id=purpose_id, channel=channel
    )


def reconfirm(purpose_id: str, channel: Channel | None, at: str) -> ConsentReconfirmed:
    return ConsentReconfirmed(
        event_id=_id(), occurred_at=t(at), purpose_id=purpose_id, channel=channel
    )


def engage(
    kind: Engagement, at: str, purpose_id: str | None = None, channel: Channel | None = None
) -> EngagementRecorded:
    return EngagementRecorded(
        event_id=_id(), occurred_at=t(at), engagement=kind, purpose_id=purpose_id, channel=channel
    )


def unsubscribe(
    channel: Channel,
    at: str,
    purpose_id: str | None = None,
    method: OptOutMethod = OptOutMethod.UNSUBSCRIBE,
) -> ChannelOptedOut:
    return ChannelOptedOut(
        event_id=_id(), occurred_at=t(at), channel=channel, method=method, purpose_id=purpose_id
    )


def dm_objection(at: str, purpose_id: str | None = None) -> MarketingObjection:
    return MarketingObjection(event_id=_id(), occurred_at=t(at), purpose_id=purpose_id)


def objection(
    purpose_id: str,
    at: str,
    status: ObjectionStatus = ObjectionStatus.PENDING,
    *,
    objection_id: str = "obj-1",
    reference: str | None = None,
) -> ProcessingObjection:
    return ProcessingObjection(
        event_id=_id(),
        occurred_at=t(at),
        objection_id=objection_id,
        purpose_id=purpose_id,
        status=status,
        reference=reference,
    )


def restrict(at: str, purpose_id: str | None = None, restriction_id: str = "r-1") -> RestrictionSet:
    return RestrictionSet(
        event_id=_id(), occurred_at=t(at), restriction_id=restriction_id, purpose_id=purpose_id
    )


def lift_notified(at: str, restriction_id: str = "r-1") -> RestrictionLiftNotified:
    return RestrictionLiftNotified(event_id=_id(), occurred_at=t(at), restriction_id=restriction_id)


def lifted(at: str, restriction_id: str = "r-1") -> RestrictionLifted:
    return RestrictionLifted(event_id=_id(), occurred_at=t(at), restriction_id=restriction_id)


def dnc(
    register: DncRegister, listed: str, effective: str | None = None, at: str | None = None
) -> DncListed:
    return DncListed(
        event_id=_id(),
        occurred_at=t(at or listed),
        dnc_register=register,
        listed_at=t(listed),
        effective_from=t(effective) if effective else None,
    )


def dnc_removed(register: DncRegister, at: str) -> DncRemoved:
    return DncRemoved(event_id=_id(), occurred_at=t(at), dnc_register=register)


def call(at: str) -> CallAttempted:
    return CallAttempted(event_id=_id(), occurred_at=t(at))


def refusal(at: str) -> InCallRefusal:
    return InCallRefusal(event_id=_id(), occurred_at=t(at))


def notice(purpose_id: str, at: str = "2020-01-01", *, art14: bool = False) -> NoticeShown:
    return NoticeShown(
        event_id=_id(), occurred_at=t(at), purpose_id=purpose_id, notice_version="PN-1", art14=art14
    )


def notices(*purpose_ids: str, at: str = "2020-01-01", art14: bool = False) -> list[BaseEvent]:
    return [notice(p, at, art14=art14) for p in purpose_ids]


def basis_change(
    purpose_id: str, new_basis: Basis, at: str, *, fresh_notice: bool = False
) -> BasisChangeRequested:
    return BasisChangeRequested(
        event_id=_id(),
        occurred_at=t(at),
        purpose_id=purpose_id,
        new_basis=new_basis,
        new_purpose_with_fresh_notice=fresh_notice,
    )


def erasure(at: str, request_id: str = "req-1") -> ErasureRequested:
    return ErasureRequested(event_id=_id(), occurred_at=t(at), request_id=request_id)


def identity_requested(at: str, request_id: str = "req-1") -> ErasureIdentityRequested:
    return ErasureIdentityRequested(event_id=_id(), occurred_at=t(at), request_id=request_id)


def identity_received(at: str, request_id: str = "req-1") -> ErasureIdentityReceived:
    return ErasureIdentityReceived(event_id=_id(), occurred_at=t(at), request_id=request_id)


def extension(at: str, request_id: str = "req-1") -> ErasureExtensionNotice:
    return ErasureExtensionNotice(
        event_id=_id(), occurred_at=t(at), request_id=request_id, reason="complexity"
    )


def executed(
    at: str,
    request_id: str = "req-1",
    erased: tuple[str, ...] = (),
    retained: tuple[str, ...] = (),
) -> ErasureExecuted:
    return ErasureExecuted(
        event_id=_id(),
        occurred_at=t(at),
        request_id=request_id,
        erased_categories=erased,
        retained_categories=retained,
    )


def hold(
    at: str, categories: tuple[str, ...], until: str | None = None, hold_id: str = "hold-1"
) -> LegalHoldSet:
    return LegalHoldSet(
        event_id=_id(),
        occurred_at=t(at),
        hold_id=hold_id,
        claim_ref="CLAIM-42",
        categories=categories,
        until=t(until) if until else None,
    )


def hold_released(at: str, hold_id: str = "hold-1") -> LegalHoldReleased:
    return LegalHoldReleased(event_id=_id(), occurred_at=t(at), hold_id=hold_id)


def suppression(
    at: str, scope: SuppressionScope = SuppressionScope.DM_ALL, identifier_hash: str = "ab" * 32
) -> SuppressionAdded:
    return SuppressionAdded(
        event_id=_id(), occurred_at=t(at), scope=scope, identifier_hash=identifier_hash
    )


def updated(p: Person, at: str) -> PersonUpdated:
    return PersonUpdated(event_id=_id(), occurred_at=t(at), person=p)


def alert_emitted(key: str, at: str) -> AlertEmitted:
    return AlertEmitted(event_id=_id(), occurred_at=t(at), alert_key=key)


# --- fold and evaluate ----------------------------------------------------------------------


def fold_effects(
    pol: Policy, p: Person | None, events: Sequence[BaseEvent], now: str = "2030-01-01"
) -> tuple[PersonState, list[Effect]]:
    return fold_all(PersonState(person=p), list(events), now=t(now), config=pol)


def fold(pol: Policy, p: Person | None, events: Sequence[BaseEvent]) -> PersonState:
    return fold_effects(pol, p, events)[0]


def decide(
    pol: Policy,
    p: Person,
    events: Sequence[BaseEvent],
    cell: tuple[str, Channel | None],
    at: str,
) -> Decision:
    """Fold the events and evaluate one cell at `at`."""
    purpose_id, channel = cell
    return evaluate(fold(pol, p, events), pol, purpose_id, channel, t(at))
