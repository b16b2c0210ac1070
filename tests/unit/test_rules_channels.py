"""Channel rules for marketing: R12 soft opt-in, R13 DNC registers, R14 FR opt-in switch,
R15 FR call windows, R16 DE phone, and the §3.7 rows T9-T23."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from handlers.evaluate import evaluate
from handlers.fold import decide
from schemas.codes import Reason
from schemas.enums import (
    Basis,
    Channel,
    ContactPointKind,
    DncRegister,
    LiveCallRegime,
    ObtainedVia,
    SubscriberType,
)
from schemas.events import BaseEvent
from schemas.outputs import Decision
from schemas.person import Person
from schemas.purpose import Purpose
from tests.unit import builders as b
from tests.unit.builders import EMAIL, PET, PET_LI, PHONE, POST, ROBOCALL, SMS, SOCIAL

pytestmark = pytest.mark.unit

NOW = "2026-06-02T11:00:00+01:00"  # a Tuesday, 11:00 in London and 12:00 in Paris
LI = [b.notice(PET_LI)]


def _customer(jurisdiction: str = "UK", **fields: Any) -> Person:
    """An existing pet customer with a contract in force and every contact point from the sale."""
    fields.setdefault("contracts", (b.contract("2025-01-01"),))
    return b.person(jurisdiction, **fields)


def _decide(
    p: Person,
    cell: tuple[str, Channel | None],
    at: str = NOW,
    events: Sequence[BaseEvent] = (),
    **rules: Any,
) -> Decision:
    return b.decide(b.policy(**rules), p, [*LI, *events], cell, at)


def _triple(decision: Decision) -> tuple[Reason, str, str | None]:
    return decision.reason, decision.rule, decision.row


# --- T9 automated calls ------------------------------------------------------------------


def test_t9_automated_call_needs_consent_even_for_customers() -> None:
    decision = _decide(_customer(), (PET_LI, ROBOCALL))
    assert not decision.permitted
    assert _triple(decision) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T9")
    consented = _decide(
        _customer(), (PET_LI, ROBOCALL), events=[b.consent(PET_LI, ROBOCALL, "2026-01-01")]
    )
    assert consented.permitted
    assert _triple(consented) == (Reason.CONSENT_ACTIVE, "R12", "T9")


# --- T10 consent on electronic mail ------------------------------------------------------


def test_t10_consent_on_li_purpose_makes_consent_the_effective_basis() -> None:
    prospect = b.person("UK")
    events = [b.consent(PET_LI, SMS, "2026-01-01")]
    decision = _decide(prospect, (PET_LI, SMS), events=events)
    assert decision.permitted
    assert _triple(decision) == (Reason.CONSENT_ACTIVE, "R12", "T10")
    assert decision.effective_basis is Basis.CONSENT


# --- T11 UK corporate --------------------------------------------------------------------


@pytest.mark.parametrize("channel", [EMAIL, SMS])
def test_t11_uk_corporate_subscriber_on_li(channel: Channel) -> None:
    corporate = b.person("UK", subscriber_type=SubscriberType.CORPORATE)
    decision = _decide(corporate, (PET_LI, channel))
    assert decision.permitted
    assert _triple(decision) == (Reason.B2B_CORPORATE_LI, "R12", "T11")
    assert decision.effective_basis is Basis.LEGITIMATE_INTERESTS


def test_t11_does_not_apply_to_uk_individuals_or_other_countries() -> None:
    individual = _decide(b.person("UK"), (PET_LI, EMAIL))
    assert _triple(individual) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T15")
    de_corporate = b.person("DE", subscriber_type=SubscriberType.CORPORATE)
    assert _decide(de_corporate, (PET_LI, EMAIL)).reason is Reason.EPRIVACY_CONSENT_REQUIRED


def test_t11_corporate_without_lia_is_refused_at_t8() -> None:
    purposes = [b.purpose(PET_LI, basis=Basis.LEGITIMATE_INTERESTS, product_family="pet")]
    corporate = b.person("UK", subscriber_type=SubscriberType.CORPORATE)
    decision = b.decide(b.policy(purposes), corporate, LI, (PET_LI, EMAIL), NOW)
    assert _triple(decision) == (Reason.LIA_MISSING, "R7", "T8")


# --- T12 / T13 FR professional email -----------------------------------------------------


def _fr_professional(opt_out_offered: bool = True) -> Person:
    work = b.contact(
        ContactPointKind.EMAIL,
        "j.dupont@entreprise.fr",
        via=ObtainedVia.OTHER,
        professional=True,
        opt_out_offered=opt_out_offered,
    )
    return b.person("FR", contact_points=(work,))


def _relevance(relevant: bool) -> list[Purpose]:
    return [
        b.purpose(
            PET_LI,
            basis=Basis.LEGITIMATE_INTERESTS,
            product_family="pet",
            relevant_to_professional_role=relevant,
            **b.li_fields(),
        )
    ]


def test_t12_fr_professional_email_relevant_to_role() -> None:
    decision = b.decide(b.policy(_relevance(True)), _fr_professional(), LI, (PET_LI, EMAIL), NOW)
    assert decision.permitted
    assert _triple(decision) == (Reason.B2B_PROFESSIONAL_LI, "R12", "T12")


def test_t13_fr_professional_email_not_relevant_to_role() -> None:
    decision = b.decide(b.policy(_relevance(False)), _fr_professional(), LI, (PET_LI, EMAIL), NOW)
    assert not decision.permitted
    assert _triple(decision) == (Reason.B2B_NOT_RELEVANT_TO_ROLE, "R12", "T13")


def test_t12_needs_opt_out_at_collection_and_does_not_cover_sms() -> None:
    pol = b.policy(_relevance(True))
    no_opt_out = b.decide(pol, _fr_professional(False), LI, (PET_LI, EMAIL), NOW)
    assert not no_opt_out.permitted
    assert no_opt_out.row == "T15"
    sms = b.decide(pol, _fr_professional(), LI, (PET_LI, SMS), NOW)
    assert not sms.permitted
    assert _triple(sms) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T15")


# --- T14 / T15 soft opt-in (R12) ---------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["UK", "FR", "DE"])
@pytest.mark.parametrize("channel", [EMAIL, SMS, SOCIAL])
def test_t14_soft_opt_in_for_existing_customer(jurisdiction: str, channel: Channel) -> None:
    decision = _decide(_customer(jurisdiction), (PET_LI, channel))
    assert decision.permitted
    assert _triple(decision) == (Reason.SOFT_OPT_IN, "R12", "T14")
    assert decision.effective_basis is Basis.LEGITIMATE_INTERESTS


def test_t15_prospect_needs_consent() -> None:
    decision = _decide(b.person("UK"), (PET_LI, EMAIL))
    assert _triple(decision) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T15")


def test_t15_dissimilar_product() -> None:
    car_customer = _customer(contracts=(b.contract("2025-01-01", family="car"),))
    decision = _decide(car_customer, (PET_LI, EMAIL))
    assert _triple(decision) == (Reason.SOFT_OPT_IN_NOT_MET, "R12", "T15")
    similar = _decide(car_customer, (PET_LI, EMAIL), similar_products={"car": frozenset({"pet"})})
    assert similar.reason is Reason.SOFT_OPT_IN


def test_t15_opt_out_not_offered_at_collection() -> None:
    p = _customer(contact_points=b.all_contacts(opt_out_offered=False))
    assert _decide(p, (PET_LI, EMAIL)).reason is Reason.SOFT_OPT_IN_NOT_MET


def test_t15_refused_by_opt_out_record() -> None:
    events = [b.withdraw(PET_LI, EMAIL, "2026-03-01")]
    assert _decide(_customer(), (PET_LI, EMAIL), events=events).reason is (
        Reason.SOFT_OPT_IN_NOT_MET
    )
    assert _decide(_customer(), (PET_LI, SMS), events=events).reason is Reason.SOFT_OPT_IN


def test_t15_brand_mismatch() -> None:
    other_brand = _customer(contracts=(b.contract("2025-01-01", brand="other"),))
    assert _decide(other_brand, (PET_LI, EMAIL)).reason is Reason.SOFT_OPT_IN_NOT_MET
    allowed = _decide(other_brand, (PET_LI, EMAIL), soft_opt_in_cross_brand=True)
    assert allowed.reason is Reason.SOFT_OPT_IN


@pytest.mark.parametrize(
    ("jurisdiction", "last_ok", "first_refused"),
    [
        ("UK", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"),
        ("FR", "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z"),
        ("DE", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"),
    ],
)
def test_t15_soft_opt_in_window_after_relationship_end(
    jurisdiction: str, last_ok: str, first_refused: str
) -> None:
    p = b.person(
        jurisdiction,
        contracts=(b.contract("2021-01-01", "2022-06-01"),),
        purchases=(b.purchase("2023-01-01"),),
    )
    ok = _decide(p, (PET_LI, EMAIL), at=last_ok)
    assert ok.reason is Reason.SOFT_OPT_IN
    assert ok.valid_until == b.t(first_refused)
    refused = _decide(p, (PET_LI, EMAIL), at=first_refused)
    assert _triple(refused) == (Reason.SOFT_OPT_IN_NOT_MET, "R12", "T15")


def test_t14_negotiation_counts_in_uk_only() -> None:
    contacts = b.all_contacts(via=ObtainedVia.NEGOTIATION)
    quoted = {"quotes": (b.quote("2026-05-01", "2026-06-01"),), "contact_points": contacts}
    uk = _decide(b.person("UK", **quoted), (PET_LI, EMAIL))
    assert uk.reason is Reason.SOFT_OPT_IN
    for jurisdiction in ("FR", "DE"):
        other = _decide(b.person(jurisdiction, **quoted), (PET_LI, EMAIL))
        assert _triple(other) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T15")


def test_t15_fr_account_without_sale() -> None:
    p = b.person("FR", contact_points=b.all_contacts(via=ObtainedVia.ACCOUNT_SIGNUP))
    assert _decide(p, (PET_LI, EMAIL)).reason is Reason.EPRIVACY_CONSENT_REQUIRED


def test_t15_contact_point_not_obtained_in_a_sale() -> None:
    p = _customer(contact_points=b.all_contacts(via=ObtainedVia.THIRD_PARTY))
    assert _decide(p, (PET_LI, EMAIL)).reason is Reason.SOFT_OPT_IN_NOT_MET


# --- T16 / T17 Germany (R16) -------------------------------------------------------------


def test_t16_de_consumer_phone_needs_consent() -> None:
    decision = _decide(_customer("DE"), (PET_LI, PHONE))
    assert not decision.permitted
    assert _triple(decision) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R16", "T16")
    consented = _decide(
        _customer("DE"), (PET_LI, PHONE), events=[b.consent(PET_LI, PHONE, "2026-01-01")]
    )
    assert consented.permitted
    assert _triple(consented) == (Reason.CONSENT_ACTIVE, "R12", "T22")


def test_t16_email_doi_does_not_prove_phone_consent() -> None:
    events = [b.consent(PET_LI, EMAIL, "2026-01-01"), b.doi(PET_LI, EMAIL, "2026-01-02")]
    decision = _decide(_customer("DE"), (PET_LI, PHONE), events=events)
    assert decision.reason is Reason.EPRIVACY_CONSENT_REQUIRED


def test_t17_de_business_presumed_consent_only_when_allowed() -> None:
    business = _customer(
        "DE", subscriber_type=SubscriberType.CORPORATE, presumed_consent_ref="PC-2026-1"
    )
    blocked = _decide(business, (PET_LI, PHONE))
    assert _triple(blocked) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R16", "T17")
    allowed = _decide(business, (PET_LI, PHONE), b2b_presumed_consent_allowed=True)
    assert allowed.permitted
    assert _triple(allowed) == (Reason.PHONE_LI, "R16", "T17")
    no_ref = _customer("DE", subscriber_type=SubscriberType.CORPORATE)
    refused = _decide(no_ref, (PET_LI, PHONE), b2b_presumed_consent_allowed=True)
    assert refused.reason is Reason.EPRIVACY_CONSENT_REQUIRED


# --- T18 / R14 France from 2026-08-11 ----------------------------------------------------


def _fr_prospect(**fields: Any) -> Person:
    return b.person("FR", **fields)


def test_t18_switch_instant_is_midnight_paris() -> None:
    p = _fr_prospect()
    before = _decide(p, (PET_LI, PHONE), at="2026-08-10T21:59:59.999999Z")
    # still the opt-out regime; midnight is outside the call windows
    assert _triple(before) == (Reason.FR_CALL_WINDOW, "R15", "T21")
    after = _decide(p, (PET_LI, PHONE), at="2026-08-10T22:00:00Z")
    assert _triple(after) == (Reason.FR_PHONE_CONSENT_REQUIRED, "R14", "T18")


def test_t18_daytime_before_and_after_switch() -> None:
    p = _fr_prospect()
    before = _decide(p, (PET_LI, PHONE), at="2026-08-10T11:00:00+02:00")
    assert before.permitted
    assert _triple(before) == (Reason.PHONE_LI, "R12", "T22b")
    after = _decide(p, (PET_LI, PHONE), at="2026-08-11T11:00:00+02:00")
    assert _triple(after) == (Reason.FR_PHONE_CONSENT_REQUIRED, "R14", "T18")
    consented = _decide(
        p,
        (PET_LI, PHONE),
        at="2026-08-11T11:00:00+02:00",
        events=[b.consent(PET_LI, PHONE, "2026-08-01")],
    )
    assert _triple(consented) == (Reason.CONSENT_ACTIVE, "R12", "T22")


def test_t18_ongoing_contract_exception() -> None:
    at = "2026-09-15T11:00:00+02:00"
    customer = _fr_prospect(contracts=(b.contract("2026-01-01"),))
    decision = _decide(customer, (PET_LI, PHONE), at=at)
    assert decision.permitted
    assert _triple(decision) == (Reason.PHONE_LI, "R12", "T22b")
    ended = _fr_prospect(contracts=(b.contract("2025-01-01", "2026-09-01"),))
    assert _decide(ended, (PET_LI, PHONE), at=at).reason is Reason.FR_PHONE_CONSENT_REQUIRED


def test_t18_contract_exception_covers_related_products_only_when_configured() -> None:
    at = "2026-09-15T11:00:00+02:00"
    car_customer = _fr_prospect(contracts=(b.contract("2026-01-01", family="car"),))
    assert _decide(car_customer, (PET_LI, PHONE), at=at).reason is (
        Reason.FR_PHONE_CONSENT_REQUIRED
    )
    related = _decide(
        car_customer, (PET_LI, PHONE), at=at, related_products={"car": frozenset({"pet"})}
    )
    assert related.reason is Reason.PHONE_LI


def test_t18_does_not_apply_to_fr_professionals() -> None:
    corporate = _fr_prospect(subscriber_type=SubscriberType.CORPORATE)
    decision = _decide(corporate, (PET_LI, PHONE), at="2026-09-15T21:30:00+02:00")
    assert decision.permitted
    assert decision.reason is Reason.PHONE_LI


def test_t22b_fr_requires_opt_out_at_collection() -> None:
    p = _fr_prospect(contact_points=b.all_contacts(opt_out_offered=False))
    decision = _decide(p, (PET_LI, PHONE), at="2026-08-10T11:00:00+02:00")
    assert _triple(decision) == (Reason.NO_OPT_OUT_AT_COLLECTION, "R12", "T22b")


# --- T19 / R13 Bloctel -------------------------------------------------------------------


def test_t19_bloctel_blocks_from_effective_date() -> None:
    events = [b.dnc(DncRegister.BLOCTEL, "2026-03-01T00:00Z", effective="2026-03-20T00:00+01:00")]
    p = _fr_prospect()
    before = _decide(p, (PET_LI, PHONE), at="2026-03-19T11:00:00+01:00", events=events)
    assert before.reason is Reason.PHONE_LI
    after = _decide(p, (PET_LI, PHONE), at="2026-03-20T11:00:00+01:00", events=events)
    assert _triple(after) == (Reason.DNC_REGISTERED, "R13", "T19")


def test_t19_bloctel_exceptions_contract_and_consent() -> None:
    events: list[BaseEvent] = [b.dnc(DncRegister.BLOCTEL, "2026-01-01", effective="2026-01-20")]
    at = "2026-03-20T11:00:00+01:00"
    customer = _fr_prospect(contracts=(b.contract("2025-01-01"),))
    assert _decide(customer, (PET_LI, PHONE), at=at, events=events).reason is Reason.PHONE_LI
    consented = [*events, b.consent(PET_LI, PHONE, "2026-02-01")]
    decision = _decide(_fr_prospect(), (PET_LI, PHONE), at=at, events=consented)
    assert _triple(decision) == (Reason.CONSENT_ACTIVE, "R12", "T22")


def test_t19_bloctel_without_effective_date_uses_listing() -> None:
    events = [b.dnc(DncRegister.BLOCTEL, "2026-03-20T00:00+01:00")]
    p = _fr_prospect()
    assert _decide(p, (PET_LI, PHONE), at="2026-03-19T11:00:00+01:00", events=events).permitted
    assert _decide(p, (PET_LI, PHONE), at="2026-03-20T11:00:00+01:00", events=events).reason is (
        Reason.DNC_REGISTERED
    )


# --- T20 / R13 TPS and CTPS --------------------------------------------------------------


def test_t20_tps_blocks_live_calls_unless_consent() -> None:
    events = [b.dnc(DncRegister.TPS, "2026-03-01T00:00Z")]
    decision = _decide(_customer(), (PET_LI, PHONE), events=events)
    assert not decision.permitted
    assert _triple(decision) == (Reason.DNC_REGISTERED, "R13", "T20")
    consented = _decide(
        _customer(),
        (PET_LI, PHONE),
        events=[*events, b.consent(PET_LI, PHONE, "2026-01-01")],
    )
    assert _triple(consented) == (Reason.CONSENT_ACTIVE, "R12", "T22")
    assert _decide(_customer(), (PET_LI, PHONE), at="2026-02-28T12:00Z", events=events).permitted


def test_t20_tps_removal_ends_protection() -> None:
    events = [
        b.dnc(DncRegister.TPS, "2026-03-01T00:00Z"),
        b.dnc_removed(DncRegister.TPS, "2026-05-01"),
    ]
    assert _decide(_customer(), (PET_LI, PHONE), events=events).reason is Reason.PHONE_LI


def test_t20_ctps_applies_to_corporate_tps_to_individuals() -> None:
    ctps = [b.dnc(DncRegister.CTPS, "2026-03-01T00:00Z")]
    corporate = _customer(subscriber_type=SubscriberType.CORPORATE)
    assert _decide(corporate, (PET_LI, PHONE), events=ctps).reason is Reason.DNC_REGISTERED
    assert _decide(_customer(), (PET_LI, PHONE), events=ctps).reason is Reason.PHONE_LI


@pytest.mark.parametrize(
    ("grace", "call_at", "blocked"),
    [
        (False, "2026-03-01T00:00:00Z", True),
        (True, "2026-03-28T10:00:00Z", False),  # 27 days after listing
        (True, "2026-03-28T23:59:59Z", False),
        (True, "2026-03-29T00:00:00Z", True),  # 28 days
        (False, "2026-03-28T10:00:00Z", True),
    ],
)
def test_r13_tps_28_day_grace(grace: bool, call_at: str, blocked: bool) -> None:
    events = [b.dnc(DncRegister.TPS, "2026-03-01T00:00Z")]
    decision = _decide(
        _customer(), (PET_LI, PHONE), at=call_at, events=events, honour_tps_28_day_grace=grace
    )
    assert (decision.reason is Reason.DNC_REGISTERED) is blocked
    if not blocked:
        assert decision.permitted


# --- T21 / R15 French call windows -------------------------------------------------------


def _fr_call(
    at: str, events: Sequence[BaseEvent] = (), off_hours: bool = False, **fields: Any
) -> Decision:
    """A consented FR consumer live call (consent makes the R14 switch irrelevant)."""
    consent = b.consent(PET, PHONE, "2026-01-05T12:00+01:00", off_hours_calls=off_hours)
    return b.decide(b.policy(), b.person("FR", **fields), [consent, *events], (PET, PHONE), at)


@pytest.mark.parametrize(
    ("local", "ok"),
    [
        ("09:59:59.999999", False),
        ("10:00:00", True),
        ("12:59:59.999999", True),
        ("13:00:00", False),
        ("13:59:59.999999", False),
        ("14:00:00", True),
        ("19:59:59.999999", True),
        ("20:00:00", False),
    ],
)
def test_r15_window_boundaries(local: str, ok: bool) -> None:
    decision = _fr_call(f"2026-09-15T{local}+02:00")  # Tuesday
    assert decision.permitted is ok
    if not ok:
        assert _triple(decision) == (Reason.FR_CALL_WINDOW, "R15", "T21")


@pytest.mark.parametrize(
    ("utc", "ok"),
    [
        ("2026-10-26T08:59:59Z", False),  # 09:59:59 CET (winter time)
        ("2026-10-26T09:00:00Z", True),  # 10:00 CET; would be 11:00 under summer time
        ("2026-10-26T18:59:59Z", True),  # 19:59:59 CET
        ("2026-10-26T19:00:00Z", False),  # 20:00 CET
        ("2026-03-30T07:59:59Z", False),  # 09:59:59 CEST (first weekday of summer time)
        ("2026-03-30T08:00:00Z", True),
    ],
)
def test_r15_windows_follow_paris_dst(utc: str, ok: bool) -> None:
    assert _fr_call(utc).permitted is ok


@pytest.mark.parametrize(
    "day",
    [
        "2026-09-19",  # Saturday
        "2026-09-20",  # Sunday
        "2026-07-14",  # Fête nationale (Tuesday)
        "2026-05-14",  # Ascension (Thursday)
        "2026-05-25",  # Whit Monday
        "2026-11-11",  # Armistice (Wednesday)
    ],
)
def test_r15_weekend_and_public_holidays(day: str) -> None:
    decision = _fr_call(f"{day}T11:00:00+02:00" if day < "2026-10-25" else f"{day}T11:00+01:00")
    assert decision.reason is Reason.FR_CALL_WINDOW


def test_r15_four_attempts_in_thirty_days() -> None:
    at = "2026-09-15T11:00:00+02:00"
    three = [b.call(f"2026-09-0{d}T11:00:00+02:00") for d in (1, 2, 3)]
    assert _fr_call(at, three).permitted
    four = [*three, b.call("2026-09-04T11:00:00+02:00")]
    assert _triple(_fr_call(at, four)) == (Reason.FR_CALL_FREQUENCY, "R15", "T21")


def test_r15_attempt_exactly_thirty_days_ago_is_not_counted() -> None:
    at = "2026-09-15T11:00:00+02:00"
    old = b.call("2026-08-16T11:00:00+02:00")  # exactly 30 days before
    recent = [b.call(f"2026-09-0{d}T11:00:00+02:00") for d in (1, 2, 3)]
    assert _fr_call(at, [old, *recent]).permitted
    just_inside = b.call("2026-08-16T11:00:00.000001+02:00")
    assert _fr_call(at, [just_inside, *recent]).reason is Reason.FR_CALL_FREQUENCY


def test_r15_sixty_day_cool_down_after_in_call_refusal() -> None:
    refused = [b.refusal("2026-07-03T18:00:00+02:00")]  # a Friday
    day_60 = _fr_call("2026-09-01T11:00:00+02:00", refused)  # Tuesday, 60 days later
    assert _triple(day_60) == (Reason.FR_CALL_COOLDOWN, "R15", "T21")
    assert _fr_call("2026-09-02T11:00:00+02:00", refused).permitted  # 61 days


def test_r15_off_hours_consent_exempts_only_the_window() -> None:
    evening = "2026-09-15T21:00:00+02:00"
    holiday = "2026-07-14T11:00:00+02:00"
    assert _fr_call(evening, off_hours=True).permitted
    assert _fr_call(holiday, off_hours=True).permitted
    assert _fr_call(evening).reason is Reason.FR_CALL_WINDOW
    calls = [b.call(f"2026-09-0{d}T11:00:00+02:00") for d in (1, 2, 3, 4)]
    assert _fr_call(evening, calls, off_hours=True).reason is Reason.FR_CALL_FREQUENCY
    refused = [b.refusal("2026-09-01T11:00:00+02:00")]
    assert _fr_call(evening, refused, off_hours=True).reason is Reason.FR_CALL_COOLDOWN


def test_r15_uses_consumer_time_zone() -> None:
    # 11:00 in Paris is 06:00 in Martinique: outside the consumer's window
    decision = _fr_call("2026-09-15T11:00:00+02:00", timezone="America/Martinique")
    assert decision.reason is Reason.FR_CALL_WINDOW


def test_r15_applies_to_li_calls_before_the_switch() -> None:
    decision = _decide(_fr_prospect(), (PET_LI, PHONE), at="2026-06-02T21:00:00+02:00")
    assert _triple(decision) == (Reason.FR_CALL_WINDOW, "R15", "T21")


# --- T22 / T22b --------------------------------------------------------------------------


def test_t22b_uk_li_phone() -> None:
    decision = _decide(_customer(), (PET_LI, PHONE))
    assert decision.permitted
    assert _triple(decision) == (Reason.PHONE_LI, "R12", "T22b")


def test_t22b_other_states_default_opt_in() -> None:
    ie = b.person("IE")
    refused = _decide(ie, (PET_LI, PHONE))
    assert _triple(refused) == (Reason.EPRIVACY_CONSENT_REQUIRED, "R12", "T22b")
    regime = {"IE": LiveCallRegime.OPT_OUT, "*": LiveCallRegime.OPT_IN}
    allowed = _decide(ie, (PET_LI, PHONE), live_call_regime=regime)
    assert allowed.permitted
    assert allowed.reason is Reason.PHONE_LI


def test_t22_consent_basis_phone_without_consent_is_t7() -> None:
    decision = _decide(_customer(), (PET, PHONE), events=[b.notice(PET)])
    assert _triple(decision) == (Reason.CONSENT_NOT_OPT_IN, "R6", "T7")


# --- T23 post ----------------------------------------------------------------------------


def test_t23_post_on_li() -> None:
    decision = _decide(b.person("UK"), (PET_LI, POST))
    assert decision.permitted
    assert _triple(decision) == (Reason.POSTAL_LI, "R12", "T23")


def test_t23_post_with_consent() -> None:
    decision = _decide(b.person("UK"), (PET, POST), events=[b.consent(PET, POST, "2026-01-01")])
    assert decision.permitted
    assert _triple(decision) == (Reason.CONSENT_ACTIVE, "R12", "T23")


def test_t23_consent_basis_post_needs_post_consent() -> None:
    decision = _decide(b.person("UK"), (PET, POST), events=[b.consent(PET, EMAIL, "2026-01-01")])
    assert _triple(decision) == (Reason.CONSENT_NOT_OPT_IN, "R6", "T7")


def test_t23_fr_post_needs_opt_out_at_collection() -> None:
    refused = _decide(
        b.person("FR", contact_points=b.all_contacts(opt_out_offered=False)), (PET_LI, POST)
    )
    assert _triple(refused) == (Reason.NO_OPT_OUT_AT_COLLECTION, "R12", "T23")
    allowed = _decide(b.person("FR"), (PET_LI, POST))
    assert allowed.reason is Reason.POSTAL_LI
    uk = _decide(
        b.person("UK", contact_points=b.all_contacts(opt_out_offered=False)), (PET_LI, POST)
    )
    assert uk.reason is Reason.POSTAL_LI


def test_t15_opt_out_on_the_category_is_a_refusal_for_products_below() -> None:
    purposes = [
        b.purpose(b.CATEGORY),
        b.purpose(
            PET_LI,
            basis=Basis.LEGITIMATE_INTERESTS,
            parent_id=b.CATEGORY,
            product_family="pet",
            brand="acme",
            **b.li_fields(),
        ),
    ]
    pol = b.policy(purposes)
    for key_channel in (EMAIL, None):
        events = [*LI, b.withdraw(b.CATEGORY, key_channel, "2026-03-01")]
        decision = b.decide(pol, _customer(), events, (PET_LI, EMAIL), NOW)
        assert _triple(decision) == (Reason.SOFT_OPT_IN_NOT_MET, "R12", "T15")
        before = b.decide(pol, _customer(), events, (PET_LI, EMAIL), "2026-02-28T12:00Z")
        assert before.reason is Reason.SOFT_OPT_IN
    sms = b.decide(
        pol, _customer(), [*LI, b.withdraw(b.CATEGORY, EMAIL, "2026-03-01")], (PET_LI, SMS), NOW
    )
    assert sms.reason is Reason.SOFT_OPT_IN


@pytest.mark.parametrize(
    ("call_at", "blocked"),
    [
        ("2026-03-28T22:59:59Z", False),  # 28 Mar in London: 27 days after the listing date
        ("2026-03-29T10:00:00Z", True),  # 29 Mar: 28 days by date, under 28 x 24 h by clock
    ],
)
def test_r13_tps_grace_counts_calendar_days(call_at: str, blocked: bool) -> None:
    events = [b.dnc(DncRegister.TPS, "2026-03-01T15:00Z")]
    decision = _decide(
        _customer(), (PET_LI, PHONE), at=call_at, events=events, honour_tps_28_day_grace=True
    )
    assert (decision.reason is Reason.DNC_REGISTERED) is blocked


def test_r13_bloctel_registration_valid_three_years() -> None:
    events = [b.dnc(DncRegister.BLOCTEL, "2023-03-01T00:00+01:00")]
    p = _fr_prospect()
    last = _decide(p, (PET_LI, PHONE), at="2026-02-27T11:00:00+01:00", events=events)
    assert last.reason is Reason.DNC_REGISTERED
    lapsed = _decide(p, (PET_LI, PHONE), at="2026-03-02T11:00:00+01:00", events=events)
    assert lapsed.reason is Reason.PHONE_LI


def test_r13_register_status_by_occurrence_not_arrival() -> None:
    pol = b.policy()
    listed = b.dnc(DncRegister.TPS, "2026-03-01T00:00Z")
    removed = b.dnc_removed(DncRegister.TPS, "2026-05-01")
    state = b.fold(pol, _customer(), [*LI, removed])
    state, _ = decide(state, listed, now=b.t("2026-05-02"), config=pol)  # delivered late
    assert evaluate(state, pol, PET_LI, PHONE, b.t(NOW)).reason is Reason.PHONE_LI
    assert evaluate(state, pol, PET_LI, PHONE, b.t("2026-04-01T11:00Z")).reason is (
        Reason.DNC_REGISTERED
    )


def test_r6f_age_unknown_flag_on_channel_consent_of_li_purpose() -> None:
    p = b.person("UK", birth_date=None)
    events = [b.consent(PET_LI, SMS, "2026-01-01")]
    decision = _decide(p, (PET_LI, SMS), events=events)
    assert _triple(decision) == (Reason.CONSENT_ACTIVE, "R12", "T10")
    assert Reason.AGE_UNKNOWN in decision.secondary_reasons
    postal = _decide(p, (PET_LI, POST), events=events)
    assert Reason.AGE_UNKNOWN not in postal.secondary_reasons
