"""Basis validity: R7 legitimate interests and Art. 21(1) objections, R8 contract and quotes,
R10 legal obligation with retention, vital interests, and the non-marketing rows T24/T25."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from handlers.evaluate import evaluate
from handlers.fold import decide
from schemas.codes import Reason, Rejection
from schemas.enums import Basis, Category, Channel, LiaOutcome, ObjectionStatus, RetentionTrigger
from schemas.events import BaseEvent, VitalInterestsInvoked
from schemas.outputs import CommandRejected, Decision
from schemas.person import Person
from schemas.purpose import Purpose, RetentionRule
from tests.unit import builders as b
from tests.unit.builders import ACCOUNTING, ADMIN, EMAIL, FRAUD, PET_LI, POST

pytestmark = pytest.mark.unit

NOW = "2026-06-01T12:00:00"


def _triple(decision: Decision) -> tuple[Reason, str, str | None]:
    return decision.reason, decision.rule, decision.row


def _one(
    purpose: Purpose,
    at: str = NOW,
    events: Sequence[BaseEvent] = (),
    p: Person | None = None,
    channel: Channel | None = None,
    **rules: Any,
) -> Decision:
    pol = b.policy([purpose], **rules)
    return b.decide(
        pol, p or b.person(), [b.notice(purpose.id), *events], (purpose.id, channel), at
    )


def _li(
    purpose_id: str = FRAUD, category: Category = Category.NON_MARKETING, **fields: Any
) -> Purpose:
    merged = {**b.li_fields("2025-01-01"), **fields}
    return b.purpose(purpose_id, category, Basis.LEGITIMATE_INTERESTS, **merged)


# --- R7 legitimate interests -------------------------------------------------------------


def test_r7_valid_lia_non_marketing_is_t24() -> None:
    decision = _one(_li())
    assert decision.permitted
    assert _triple(decision) == (Reason.LEGITIMATE_INTERESTS, "R7", "T24")
    assert decision.effective_basis is Basis.LEGITIMATE_INTERESTS


@pytest.mark.parametrize(
    "fields",
    [
        {"lia_reference": None},
        {"lia_outcome": LiaOutcome.FAIL},
        {"lia_outcome": None},
        {"lia_date": None},
    ],
)
def test_r7_lia_missing_or_failed(fields: dict[str, Any]) -> None:
    marketing = _one(_li(PET_LI, Category.MARKETING, **fields), channel=POST)
    assert _triple(marketing) == (Reason.LIA_MISSING, "R7", "T8")
    service = _one(_li(**fields))
    assert _triple(service) == (Reason.LIA_MISSING, "R7", "T25")


def test_r7_lia_dated_after_evaluation_is_missing() -> None:
    purpose = _li(lia_date=b.t("2026-06-01T12:00:01"))
    assert _one(purpose).reason is Reason.LIA_MISSING
    assert _one(purpose, at="2026-06-01T12:00:01").permitted


def test_r7_review_date_overdue_half_open() -> None:
    purpose = _li(lia_review_date=b.t("2026-06-01T00:00"))
    assert _one(purpose, at="2026-05-31T23:59:59").permitted
    overdue = _one(purpose, at="2026-06-01T00:00")
    assert _triple(overdue) == (Reason.LIA_REVIEW_OVERDUE, "R7", "T25")


def test_r7_review_months_from_config() -> None:
    purpose = _li()  # LIA dated 2025-01-01
    assert _one(purpose, at="2025-12-31T23:59", lia_review_months=12).permitted
    overdue = _one(purpose, at="2026-01-01T00:00", lia_review_months=12)
    assert overdue.reason is Reason.LIA_REVIEW_OVERDUE
    assert _one(purpose, at="2030-01-01").permitted  # default: no review cycle


def test_r7_objection_pending_blocks_by_default() -> None:
    events = [b.objection(FRAUD, "2026-05-01")]
    pending = _one(_li(), events=events)
    assert _triple(pending) == (Reason.OBJECTION_PENDING, "R7", "T25")
    assert _one(_li(), at="2026-04-30", events=events).permitted


def test_r7_objection_pending_not_blocking_when_configured() -> None:
    events = [b.objection(FRAUD, "2026-05-01")]
    decision = _one(_li(), events=events, objection_pending_blocks=False)
    assert decision.permitted
    assert decision.reason is Reason.LEGITIMATE_INTERESTS


def test_r7_objection_upheld_blocks_even_when_pending_does_not() -> None:
    events = [
        b.objection(FRAUD, "2026-05-01"),
        b.objection(FRAUD, "2026-05-10", ObjectionStatus.UPHELD),
    ]
    for blocks in (True, False):
        decision = _one(_li(), events=events, objection_pending_blocks=blocks)
        assert _triple(decision) == (Reason.OBJECTION_UPHELD, "R7", "T25")


def test_r7_objection_rejected_on_compelling_grounds_leaves_li_active() -> None:
    events = [
        b.objection(FRAUD, "2026-05-01"),
        b.objection(
            FRAUD, "2026-05-10", ObjectionStatus.REJECTED_COMPELLING_GROUNDS, reference="DPO-7"
        ),
    ]
    assert _one(_li(), events=events).permitted
    assert _one(_li(), at="2026-05-09", events=events).reason is Reason.OBJECTION_PENDING


def test_r7_compelling_grounds_without_reference_is_rejected() -> None:
    events: list[BaseEvent] = [
        b.notice(FRAUD),
        b.objection(FRAUD, "2026-05-01"),
        b.objection(FRAUD, "2026-05-10", ObjectionStatus.REJECTED_COMPELLING_GROUNDS),
    ]
    pol = b.policy([_li()])
    state, effects = b.fold_effects(pol, b.person(), events)
    rejected = [e.reason for e in effects if isinstance(e, CommandRejected)]
    assert rejected == [Rejection.OBJECTION_REF_MISSING]
    assert evaluate(state, pol, FRAUD, None, b.t(NOW)).reason is Reason.OBJECTION_PENDING


def test_r7_objection_on_parent_purpose_applies_to_child() -> None:
    parent = _li("analytics")
    child = _li("analytics-web", parent_id="analytics")
    pol = b.policy([parent, child])
    events = [*b.notices("analytics", "analytics-web"), b.objection("analytics", "2026-05-01")]
    decision = b.decide(pol, b.person(), events, ("analytics-web", None), NOW)
    assert decision.reason is Reason.OBJECTION_PENDING


def test_r7_lia_valid_marketing_post() -> None:
    decision = _one(_li(PET_LI, Category.MARKETING), channel=POST)
    assert decision.permitted
    assert decision.reason is Reason.POSTAL_LI


# --- R8 contract -------------------------------------------------------------------------


def _admin(**fields: Any) -> Purpose:
    return b.purpose(ADMIN, Category.NON_MARKETING, Basis.CONTRACT, product_family="pet", **fields)


def test_r8_contract_in_force() -> None:
    p = b.person(contracts=(b.contract("2025-01-01", "2027-01-01T00:00"),))
    decision = _one(_admin(), p=p)
    assert decision.permitted
    assert _triple(decision) == (Reason.CONTRACT_ACTIVE, "R8", "T24")
    assert decision.valid_until == b.t("2027-01-31T00:00")


def test_r8_grace_period_boundary() -> None:
    p = b.person(contracts=(b.contract("2025-01-01", "2026-03-01T00:00"),))
    assert _one(_admin(), at="2026-03-30T23:59:59.999999", p=p).permitted
    ended = _one(_admin(), at="2026-03-31T00:00", p=p)  # end + 30 days
    assert _triple(ended) == (Reason.CONTRACT_ENDED, "R8", "T25")


def test_r8_grace_days_configurable() -> None:
    p = b.person(contracts=(b.contract("2025-01-01", "2026-03-01T00:00"),))
    assert _one(_admin(), at="2026-02-28T23:59", p=p, contract_grace_days=0).permitted
    refused = _one(_admin(), at="2026-03-01T00:00", p=p, contract_grace_days=0)
    assert refused.reason is Reason.CONTRACT_ENDED


def test_r8_before_start_and_other_product_is_no_contract() -> None:
    future = b.person(contracts=(b.contract("2026-07-01"),))
    assert _one(_admin(), p=future).reason is Reason.NO_CONTRACT
    car = b.person(contracts=(b.contract("2025-01-01", family="car"),))
    assert _one(_admin(), p=car).reason is Reason.NO_CONTRACT


def test_r8_quote_validity() -> None:
    p = b.person(quotes=(b.quote("2026-05-20", "2026-06-20T00:00"),))
    active = _one(_admin(), p=p)
    assert active.permitted
    assert active.valid_until == b.t("2026-06-20T00:00")
    assert _one(_admin(), at="2026-06-19T23:59:59", p=p).permitted
    expired = _one(_admin(), at="2026-06-20T00:00", p=p)
    assert _triple(expired) == (Reason.CONTRACT_ENDED, "R8", "T25")


# --- R10 legal obligation ----------------------------------------------------------------


def _accounting(**fields: Any) -> Purpose:
    fields.setdefault("legal_reference", "Code de commerce L123-22")
    return b.purpose(ACCOUNTING, Category.NON_MARKETING, Basis.LEGAL_OBLIGATION, **fields)


def test_r10_legal_reference_required() -> None:
    decision = _one(_accounting(legal_reference=None))
    assert _triple(decision) == (Reason.LEGAL_REF_MISSING, "R10", "T25")
    ok = _one(_accounting())
    assert ok.permitted
    assert _triple(ok) == (Reason.LEGAL_OBLIGATION_ACTIVE, "R10", "T24")


def test_r10_fr_accounting_ten_years_from_end_of_year_local() -> None:
    # contract ended mid-2024: invoices kept through 2034-12-31, retain_until 2035-01-01 00:00
    # Paris time (= 2034-12-31T23:00Z)
    rule = RetentionRule(months=120, trigger=RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END)
    p = b.person("FR", contracts=(b.contract("2020-01-01", "2024-06-30T12:00Z"),))
    kept = _one(_accounting(retention=rule), at="2034-12-31T22:59:59Z", p=p)
    assert kept.permitted
    assert kept.valid_until == b.t("2035-01-01T00:00+01:00")
    ended = _one(_accounting(retention=rule), at="2034-12-31T23:00:00Z", p=p)
    assert _triple(ended) == (Reason.RETENTION_ENDED, "R10", "T25")


def test_r10_retention_clock_not_started_while_contract_runs() -> None:
    rule = RetentionRule(months=120, trigger=RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END)
    p = b.person("FR", contracts=(b.contract("2020-01-01"),))
    decision = _one(_accounting(retention=rule), at="2060-01-01", p=p)
    assert decision.permitted
    assert decision.valid_until is None


def test_r10_retention_from_last_purchase_counts_local_days() -> None:
    rule = RetentionRule(months=60, trigger=RetentionTrigger.LAST_PURCHASE)
    p = b.person("UK", purchases=(b.purchase("2021-03-10T15:00Z"), b.purchase("2019-01-01")))
    kept = _one(_accounting(retention=rule), at="2026-03-09T23:59:59Z", p=p)
    assert kept.permitted
    assert kept.valid_until == b.t("2026-03-10T00:00Z")  # 00:00 London (GMT)
    assert _one(_accounting(retention=rule), at="2026-03-10T00:00Z", p=p).reason is (
        Reason.RETENTION_ENDED
    )


def test_r10_five_years_after_last_use_ends_at_local_midnight() -> None:
    # §7.0: "5 years after last use on 2025-11-20 gives 2030-11-20 00:00 local"
    rule = RetentionRule(months=60, trigger=RetentionTrigger.LAST_CONSENT_USE)
    proof = _accounting(retention=rule, legal_reference="UWG 7a")
    uses = [
        b.consent(ACCOUNTING, None, "2024-02-01T09:00+01:00"),
        b.consent(ACCOUNTING, None, "2025-11-20T15:00+01:00"),
    ]
    p = b.person("DE")
    kept = _one(proof, at="2030-11-19T22:59:59Z", events=uses, p=p)
    assert kept.permitted
    assert kept.valid_until == b.t("2030-11-20T00:00+01:00")
    assert _one(proof, at="2030-11-19T23:00:00Z", events=uses, p=p).reason is (
        Reason.RETENTION_ENDED
    )


# --- vital interests ---------------------------------------------------------------------


def test_vital_interests_window() -> None:
    purpose = b.purpose("emergency", Category.NON_MARKETING, Basis.VITAL_INTERESTS)
    invoked = VitalInterestsInvoked(
        event_id="vi-1",
        occurred_at=b.t("2026-06-01T10:00"),
        purpose_id="emergency",
        invoked_by="u1",
    )
    assert _one(purpose, at="2026-06-01T09:59").reason is Reason.VITAL_INTERESTS_NOT_INVOKED
    assert _one(purpose, at="2026-06-04T09:59", events=[invoked]).permitted
    assert _one(purpose, at="2026-06-04T10:00", events=[invoked]).reason is (
        Reason.VITAL_INTERESTS_NOT_INVOKED
    )


def test_marketing_never_on_vital_interests() -> None:
    purpose = b.purpose("vi-mkt", Category.MARKETING, Basis.VITAL_INTERESTS)
    decision = _one(purpose, channel=EMAIL)
    assert _triple(decision) == (Reason.BASIS_NOT_ALLOWED_FOR_MARKETING, "R5", "T6")


def test_r7_latest_objection_status_by_occurrence_not_arrival() -> None:
    pol = b.policy([_li()])
    early = [b.notice(FRAUD), b.objection(FRAUD, "2026-05-01")]
    state = b.fold(pol, b.person(), early)
    upheld = b.objection(FRAUD, "2026-05-10", ObjectionStatus.UPHELD)
    state, _ = decide(state, upheld, now=b.t("2026-05-10"), config=pol)
    late_copy = b.objection(FRAUD, "2026-05-05")  # an older PENDING delivered late
    state, _ = decide(state, late_copy, now=b.t("2026-05-11"), config=pol)
    assert evaluate(state, pol, FRAUD, None, b.t(NOW)).reason is Reason.OBJECTION_UPHELD


# --- R11 legal-claims hold ---------------------------------------------------------------


def _claims() -> Purpose:
    return b.purpose(
        "claims",
        Category.NON_MARKETING,
        Basis.CONTRACT,
        product_family="pet",
        legal_claims=True,
        data_categories=("CLAIMS_DATA",),
    )


ENDED = b.person(contracts=(b.contract("2020-01-01", "2025-01-01"),))


def test_r11_hold_allows_claims_processing_after_the_contract_ended() -> None:
    events = [b.hold("2026-01-01", ("CLAIMS_DATA",), until="2027-01-01T00:00Z")]
    decision = _one(_claims(), events=events, p=ENDED)
    assert decision.permitted
    assert (decision.reason, decision.rule) == (Reason.LEGAL_CLAIMS_HOLD, "R11")
    assert decision.valid_until == b.t("2027-01-01T00:00Z")
    assert _one(_claims(), at="2027-01-01T00:00Z", events=events, p=ENDED).reason is (
        Reason.CONTRACT_ENDED
    )
    assert _one(_claims(), p=ENDED).reason is Reason.CONTRACT_ENDED


def test_r11_released_hold_or_other_category_does_not_count() -> None:
    released = [b.hold("2026-01-01", ("CLAIMS_DATA",)), b.hold_released("2026-05-01")]
    assert _one(_claims(), events=released, p=ENDED).reason is Reason.CONTRACT_ENDED
    assert _one(_claims(), at="2026-04-30", events=released, p=ENDED).permitted
    other = [b.hold("2026-01-01", ("ACCOUNTING_RECORDS",))]
    assert _one(_claims(), events=other, p=ENDED).reason is Reason.CONTRACT_ENDED


def test_r11_hold_does_not_open_non_claims_purposes() -> None:
    admin = _admin(data_categories=("CLAIMS_DATA",))
    events = [b.hold("2026-01-01", ("CLAIMS_DATA",))]
    assert _one(admin, events=events, p=ENDED).reason is Reason.CONTRACT_ENDED
