"""R6 consent validity (a-g) and R9 special categories / Art. 10 (gdpr-rules.md §2, §6, §7.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from handlers.evaluate import evaluate
from handlers.fold import decide
from schemas.codes import Reason
from schemas.enums import (
    Actor,
    AgeRuleScope,
    AgeUnknownPolicy,
    Basis,
    CaptureMethod,
    Category,
    Channel,
    ConsentStatus,
    Engagement,
    Feb29Rule,
)
from schemas.events import BaseEvent
from schemas.outputs import Decision
from schemas.purpose import Purpose
from tests.unit import builders as b
from tests.unit.builders import CAR, EMAIL, PET, PHONE, SMS

pytestmark = pytest.mark.unit

NOW = "2026-06-01T12:00:00"


def _decide(
    events: Sequence[BaseEvent],
    cell: tuple[str, Channel | None] = (PET, EMAIL),
    at: str = NOW,
    jurisdiction: str = "UK",
    birth: str | None = "1980-05-17",
    **rules: Any,
) -> Decision:
    p = b.person(jurisdiction, birth_date=b.d(birth) if birth else None)
    return b.decide(b.policy(**rules), p, events, cell, at)


def _reason(decision: Decision) -> Reason | None:
    return None if decision.permitted else decision.reason


# --- R6a status --------------------------------------------------------------------------


def test_r6a_opt_in_active() -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01")])
    assert decision.permitted
    assert decision.reason is Reason.CONSENT_ACTIVE


def test_r6a_withdrawn_after_opt_in() -> None:
    events = [b.consent(PET, EMAIL, "2026-01-01"), b.withdraw(PET, EMAIL, "2026-03-01")]
    decision = _decide(events)
    assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
        False,
        Reason.CONSENT_WITHDRAWN,
        "R6",
        "T7",
    )
    assert _decide(events, at="2026-02-28").permitted


def test_r6a_opt_out_without_prior_opt_in_is_never_opted_in() -> None:
    events: list[BaseEvent] = [b.notice(PET), b.withdraw(PET, EMAIL, "2026-03-01")]
    assert _reason(_decide(events)) is Reason.CONSENT_NOT_OPT_IN


@pytest.mark.parametrize("status", [ConsentStatus.SEEN, ConsentStatus.NOT_SEEN])
def test_r6a_seen_or_not_seen_is_not_opt_in(status: ConsentStatus) -> None:
    events: list[BaseEvent] = [b.notice(PET), b.consent(PET, EMAIL, "2026-01-01", status)]
    assert _reason(_decide(events)) is Reason.CONSENT_NOT_OPT_IN


def test_r6a_no_record_is_not_opt_in() -> None:
    assert _reason(_decide([b.notice(PET)])) is Reason.CONSENT_NOT_OPT_IN


def test_r6a_equal_instant_opt_in_and_opt_out_resolves_to_least_permissive() -> None:
    events = [b.withdraw(PET, EMAIL, "2026-01-01"), b.consent(PET, EMAIL, "2026-01-01")]
    assert _reason(_decide(events)) is Reason.CONSENT_WITHDRAWN


def test_r6a_re_consent_after_withdrawal_is_a_new_consent() -> None:
    events = [
        b.consent(PET, EMAIL, "2025-01-01"),
        b.withdraw(PET, EMAIL, "2025-06-01"),
        b.consent(PET, EMAIL, "2026-01-01"),
    ]
    decision = _decide(events)
    assert decision.permitted
    assert decision.valid_until == b.t("2028-01-01")


def test_r6a_consent_is_per_channel() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01"), b.notice(CAR)]
    assert _decide(events).permitted
    assert _reason(_decide(events, (PET, SMS))) is Reason.CONSENT_NOT_OPT_IN
    assert _reason(_decide(events, (CAR, EMAIL))) is Reason.CONSENT_NOT_OPT_IN


# --- R6b evidence ------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["capture_source", "capture_method", "notice_version"])
def test_r6b_missing_evidence_is_unprovable(missing: str) -> None:
    fields: dict[str, Any] = {missing: None}
    events = [b.notice(PET), b.consent(PET, EMAIL, "2026-01-01", **fields)]
    decision = _decide(events)
    assert (decision.reason, decision.rule) == (Reason.CONSENT_UNPROVABLE, "R6")


# --- R6c method --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        CaptureMethod.PRE_TICKED,
        CaptureMethod.TERMS_ACCEPTANCE,
        CaptureMethod.INFERRED,
        CaptureMethod.THIRD_PARTY_UNNAMED,
    ],
)
def test_r6c_invalid_method(method: CaptureMethod) -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01", capture_method=method)])
    assert (decision.reason, decision.rule) == (Reason.CONSENT_INVALID_METHOD, "R6")


@pytest.mark.parametrize(
    "method",
    [
        CaptureMethod.CHECKBOX_UNTICKED,
        CaptureMethod.EXPRESS_STATEMENT,
        CaptureMethod.VERBAL_RECORDED,
        CaptureMethod.SIGNED_FORM,
        CaptureMethod.THIRD_PARTY_NAMED,
    ],
)
def test_r6c_affirmative_methods_are_valid(method: CaptureMethod) -> None:
    assert _decide([b.consent(PET, EMAIL, "2026-01-01", capture_method=method)]).permitted


# --- R6d validity window -----------------------------------------------------------------


def test_r6d_effective_from_is_inclusive() -> None:
    events: list[BaseEvent] = [
        b.consent(PET, EMAIL, "2026-01-01", effective_from="2026-02-01T00:00")
    ]
    assert _decide(events, at="2026-02-01T00:00").permitted
    before = _decide(events, at="2026-01-31T23:59:59.999999")
    assert _reason(before) is Reason.CONSENT_NOT_YET_EFFECTIVE


def test_r6d_effective_to_is_exclusive() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01", effective_to="2026-04-01T00:00")]
    last = _decide(events, at="2026-03-31T23:59:59.999999")
    assert last.permitted
    assert last.valid_until == b.t("2026-04-01T00:00")
    assert _reason(_decide(events, at="2026-04-01T00:00")) is Reason.CONSENT_EXPIRED


# --- R6e double opt-in -------------------------------------------------------------------


def test_r6e_de_email_requires_doi_until_confirmed() -> None:
    events = [b.consent(PET, EMAIL, "2026-01-01"), b.doi(PET, EMAIL, "2026-01-03T08:00")]
    pending = _decide(events, at="2026-01-03T07:59:59", jurisdiction="DE")
    assert (pending.reason, pending.rule) == (Reason.DOUBLE_OPT_IN_PENDING, "R6")
    assert _decide(events, at="2026-01-03T08:00", jurisdiction="DE").permitted


def test_r6e_doi_never_confirmed_stays_pending() -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01")], jurisdiction="DE")
    assert _reason(decision) is Reason.DOUBLE_OPT_IN_PENDING


@pytest.mark.parametrize(("jurisdiction", "channel"), [("DE", SMS), ("UK", EMAIL), ("FR", EMAIL)])
def test_r6e_doi_not_required_elsewhere(jurisdiction: str, channel: Channel) -> None:
    events: list[BaseEvent] = [b.consent(PET, channel, "2026-01-01")]
    assert _decide(events, (PET, channel), jurisdiction=jurisdiction).permitted


def test_r6e_doi_time_is_the_decay_anchor() -> None:
    events = [b.consent(PET, EMAIL, "2024-01-01"), b.doi(PET, EMAIL, "2024-03-01")]
    alive = _decide(events, at="2026-02-28T23:59", jurisdiction="DE")
    assert alive.permitted
    assert alive.valid_until == b.t("2026-03-01")
    assert _reason(_decide(events, at="2026-03-01", jurisdiction="DE")) is Reason.CONSENT_DECAYED


# --- R6f minors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "age", "zone_offset"),
    [("UK", 13, "+01:00"), ("FR", 15, "+02:00"), ("DE", 16, "+02:00")],
)
def test_r6f_threshold_birthday_per_jurisdiction(
    jurisdiction: str, age: int, zone_offset: str
) -> None:
    birth = f"{2026 - age}-06-15"
    channel = SMS  # no DOI in DE for SMS
    day_before = [b.consent(PET, channel, f"2026-06-14T12:00{zone_offset}")]
    on_birthday = [b.consent(PET, channel, f"2026-06-15T00:00{zone_offset}")]
    refused = _decide(
        day_before, (PET, channel), "2026-06-20T12:00", jurisdiction=jurisdiction, birth=birth
    )
    assert (refused.reason, refused.rule) == (Reason.MINOR_WITHOUT_PARENTAL_CONSENT, "R6")
    accepted = _decide(
        on_birthday, (PET, channel), "2026-06-20T12:00", jurisdiction=jurisdiction, birth=birth
    )
    assert accepted.permitted


def test_r6f_age_uses_the_local_capture_date() -> None:
    # 2023-06-14T23:30Z is 00:30 on the 15th in London (BST): the 13th birthday
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2023-06-14T23:30:00Z")]
    assert _decide(events, at="2024-01-01", birth="2010-06-15").permitted
    events = [b.consent(PET, EMAIL, "2023-06-14T22:30:00Z")]  # 23:30 local on the 14th
    refused = _decide(events, at="2024-01-01", birth="2010-06-15")
    assert refused.reason is Reason.MINOR_WITHOUT_PARENTAL_CONSENT


def test_r6f_minor_consent_stays_invalid_after_birthday() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01")]
    later = _decide(events, at="2027-01-01", birth="2013-06-15")  # 13 on 2026-06-15
    assert later.reason is Reason.MINOR_WITHOUT_PARENTAL_CONSENT


def test_r6f_parental_consent_needs_verification_ref() -> None:
    verified = [
        b.consent(PET, EMAIL, "2026-01-01", actor=Actor.PARENT, parental_verification_ref="V-1")
    ]
    unverified = [b.consent(PET, EMAIL, "2026-01-01", actor=Actor.PARENT)]
    assert _decide(verified, birth="2016-01-01").permitted
    assert _reason(_decide(unverified, birth="2016-01-01")) is (
        Reason.MINOR_WITHOUT_PARENTAL_CONSENT
    )


def test_r6f_age_unknown_allowed_with_flag_by_default() -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01")], birth=None)
    assert decision.permitted
    assert Reason.AGE_UNKNOWN in decision.secondary_reasons


def test_r6f_age_unknown_blocked_by_policy() -> None:
    decision = _decide(
        [b.consent(PET, EMAIL, "2026-01-01")], birth=None, age_unknown_policy=AgeUnknownPolicy.BLOCK
    )
    assert (decision.permitted, decision.reason, decision.rule) == (
        False,
        Reason.AGE_UNKNOWN,
        "R6",
    )


def test_r6f_known_age_has_no_flag() -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01")])
    assert Reason.AGE_UNKNOWN not in decision.secondary_reasons


@pytest.mark.parametrize(
    ("rule", "capture_day", "minor"),
    [
        (Feb29Rule.MARCH_1, "2027-02-28", True),
        (Feb29Rule.FEB_28, "2027-02-28", False),
        (Feb29Rule.MARCH_1, "2027-03-01", False),
        (Feb29Rule.FEB_28, "2027-02-27", True),
    ],
)
def test_r6f_feb29_birthday_rule(rule: Feb29Rule, capture_day: str, minor: bool) -> None:
    # born 29 Feb 2012, FR threshold 15, reached in 2027 (not a leap year)
    events: list[BaseEvent] = [b.consent(PET, SMS, f"{capture_day}T12:00+01:00")]
    decision = _decide(
        events,
        (PET, SMS),
        "2027-03-02T11:00",
        jurisdiction="FR",
        birth="2012-02-29",
        feb29_birthday_rule=rule,
    )
    assert (decision.reason is Reason.MINOR_WITHOUT_PARENTAL_CONSENT) is minor


def test_r6f_iss_only_scope_skips_offline_capture() -> None:
    events: list[BaseEvent] = [
        b.consent(PET, EMAIL, "2026-01-01", via_information_society_service=False)
    ]
    assert _decide(events, birth="2016-01-01", apply_age_rule_to=AgeRuleScope.ISS_ONLY).permitted
    assert _reason(_decide(events, birth="2016-01-01")) is Reason.MINOR_WITHOUT_PARENTAL_CONSENT


# --- R6g decay ---------------------------------------------------------------------------


def test_r6g_decay_at_exactly_24_months_half_open() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2024-01-15T10:00")]
    horizon = b.t("2026-01-15T10:00")
    alive = _decide(events, at=str(horizon - timedelta(microseconds=1)))
    assert alive.permitted
    assert alive.valid_until == horizon
    decayed = _decide(events, at=str(horizon))
    assert (decayed.reason, decayed.rule, decayed.row) == (Reason.CONSENT_DECAYED, "R6", "T7")


def test_r6g_month_end_clamps() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2024-02-29T10:00")]
    assert _decide(events, at="2026-02-28T09:59").permitted
    assert _reason(_decide(events, at="2026-02-28T10:00")) is Reason.CONSENT_DECAYED


def test_r6g_click_moves_anchor_open_does_not() -> None:
    base: list[BaseEvent] = [b.consent(PET, EMAIL, "2024-01-15T10:00")]
    clicked = [*base, b.engage(Engagement.CLICK, "2025-03-01T08:00", PET, EMAIL)]
    opened = [*base, b.engage(Engagement.OPEN, "2025-03-01T08:00", PET, EMAIL)]
    delivered = [*base, b.engage(Engagement.DELIVERED, "2025-03-01T08:00", PET, EMAIL)]
    at = "2026-02-01"
    kept = _decide(clicked, at=at)
    assert kept.permitted
    assert kept.valid_until == b.t("2027-03-01T08:00")
    assert _reason(_decide(opened, at=at)) is Reason.CONSENT_DECAYED
    assert _reason(_decide(delivered, at=at)) is Reason.CONSENT_DECAYED


def test_r6g_engagement_on_another_channel_or_purpose_does_not_count() -> None:
    base: list[BaseEvent] = [b.consent(PET, EMAIL, "2024-01-15T10:00")]
    other_channel = [*base, b.engage(Engagement.CLICK, "2025-03-01", PET, SMS)]
    other_purpose = [*base, b.engage(Engagement.CLICK, "2025-03-01", CAR, EMAIL)]
    unscoped = [*base, b.engage(Engagement.LOGIN, "2025-03-01")]
    at = "2026-02-01"
    assert _reason(_decide(other_channel, at=at)) is Reason.CONSENT_DECAYED
    assert _reason(_decide(other_purpose, at=at)) is Reason.CONSENT_DECAYED
    assert _decide(unscoped, at=at).permitted


def test_r6g_engagement_after_evaluation_instant_does_not_count() -> None:
    events = [
        b.consent(PET, EMAIL, "2024-01-15T10:00"),
        b.engage(Engagement.CLICK, "2026-03-01", PET, EMAIL),
    ]
    assert _reason(_decide(events, at="2026-02-01")) is Reason.CONSENT_DECAYED


def test_r6g_reconfirmation_moves_anchor() -> None:
    events = [b.consent(PET, EMAIL, "2024-01-15T10:00"), b.reconfirm(PET, EMAIL, "2025-12-01")]
    decision = _decide(events, at="2026-02-01")
    assert decision.permitted
    assert decision.valid_until == b.t("2027-12-01")
    assert _reason(_decide(events, at="2027-12-01")) is Reason.CONSENT_DECAYED


def test_r6g_effective_to_earlier_than_horizon_wins() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01", effective_to="2026-09-01T00:00")]
    assert _decide(events).valid_until == b.t("2026-09-01T00:00")


def test_r6g_configured_decay_months() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01")]
    decision = _decide(events, at="2026-07-01", decay_months_marketing=6)
    assert _reason(decision) is Reason.CONSENT_DECAYED
    assert _decide(events, at="2026-06-30T23:59", decay_months_marketing=6).permitted


def test_r6g_non_marketing_consent_does_not_decay_unless_configured() -> None:
    newsletter = b.purpose("service-news", Category.NON_MARKETING, Basis.CONSENT)
    cookies = b.purpose("cookies", Category.NON_MARKETING, Basis.CONSENT, cookie_like=True)
    pol = b.policy([newsletter, cookies])
    events: list[BaseEvent] = [
        b.consent("service-news", None, "2020-01-01"),
        b.consent("cookies", None, "2026-01-01"),
    ]
    p = b.person()
    news = b.decide(pol, p, events, ("service-news", None), NOW)
    assert news.permitted
    assert (news.reason, news.row) == (Reason.CONSENT_ACTIVE, "T24")
    cookie = b.decide(pol, p, events, ("cookies", None), "2026-07-01")
    assert (cookie.permitted, cookie.reason, cookie.row) == (False, Reason.CONSENT_DECAYED, "T25")
    assert b.decide(pol, p, events, ("cookies", None), "2026-06-30").permitted


# --- R9 special categories / Art. 10 -----------------------------------------------------


def _special_policy() -> list[Purpose]:
    return [
        b.purpose("health-mkt", special_category=True),
        b.purpose(
            "health-claims",
            Category.NON_MARKETING,
            Basis.CONTRACT,
            special_category=True,
            art9_condition="DPA 2018 Sch.1 para 20",
        ),
        b.purpose(
            "health-analytics", Category.NON_MARKETING, Basis.CONTRACT, special_category=True
        ),
        b.purpose("convictions", Category.NON_MARKETING, Basis.CONTRACT, art10=True),
        b.purpose(
            "convictions-ok",
            Category.NON_MARKETING,
            Basis.CONTRACT,
            art10=True,
            art10_authorisation="Road Traffic Act",
        ),
    ]


def test_r9_special_category_marketing_needs_explicit_consent() -> None:
    pol = b.policy(_special_policy())
    p = b.person()
    plain: list[BaseEvent] = [b.consent("health-mkt", EMAIL, "2026-01-01")]
    explicit: list[BaseEvent] = [b.consent("health-mkt", EMAIL, "2026-01-01", explicit=True)]
    refused = b.decide(pol, p, plain, ("health-mkt", EMAIL), NOW)
    assert (refused.permitted, refused.reason, refused.rule, refused.row) == (
        False,
        Reason.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED,
        "R9",
        "T5",
    )
    assert b.decide(pol, p, explicit, ("health-mkt", EMAIL), NOW).permitted
    # explicit consent on email does not cover SMS
    sms = b.decide(pol, p, explicit, ("health-mkt", SMS), NOW)
    assert sms.reason is Reason.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED


def test_r9_special_category_marketing_on_li_is_refused() -> None:
    pol = b.policy(
        [
            b.purpose(
                "health-li",
                basis=Basis.LEGITIMATE_INTERESTS,
                special_category=True,
                **b.li_fields(),
            )
        ]
    )
    decision = b.decide(pol, b.person(), [b.notice("health-li")], ("health-li", PHONE), NOW)
    assert decision.reason is Reason.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED


def test_r9_non_marketing_needs_art9_condition() -> None:
    pol = b.policy(_special_policy())
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events = b.notices("health-claims", "health-analytics")
    assert b.decide(pol, p, events, ("health-claims", None), NOW).permitted
    refused = b.decide(pol, p, events, ("health-analytics", None), NOW)
    assert (refused.permitted, refused.reason, refused.rule) == (
        False,
        Reason.ART9_CONDITION_MISSING,
        "R9",
    )


def test_r9_art10_needs_authorisation() -> None:
    pol = b.policy(_special_policy())
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events = b.notices("convictions", "convictions-ok")
    refused = b.decide(pol, p, events, ("convictions", None), NOW)
    assert (refused.reason, refused.rule) == (Reason.ART10_AUTHORISATION_MISSING, "R9")
    assert b.decide(pol, p, events, ("convictions-ok", None), NOW).permitted


def test_r6g_anchor_is_latest_engagement_whatever_the_arrival_order() -> None:
    pol = b.policy()
    newer = b.engage(Engagement.CLICK, "2025-06-01T08:00", PET, EMAIL)
    older = b.engage(Engagement.CLICK, "2025-03-01T08:00", PET, EMAIL)
    state = b.fold(pol, b.person(), [b.consent(PET, EMAIL, "2024-01-15T10:00"), newer])
    state, _ = decide(state, older, now=b.t("2025-07-01"), config=pol)  # delivered late
    decision = evaluate(state, pol, PET, EMAIL, b.t("2027-05-01"))
    assert decision.permitted
    assert decision.valid_until == b.t("2027-06-01T08:00")


def test_r6g_purpose_decay_months_override() -> None:
    pol = b.policy([b.purpose(PET, decay_months=12)])
    events: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-01")]
    assert b.decide(pol, b.person(), events, (PET, EMAIL), "2026-12-31T23:59").permitted
    decayed = b.decide(pol, b.person(), events, (PET, EMAIL), "2027-01-01")
    assert decayed.reason is Reason.CONSENT_DECAYED
