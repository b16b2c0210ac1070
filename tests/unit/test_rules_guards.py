"""R1 erasure, R2 restriction, R3 notice, R4 DM objection/suppression, R4b channel opt-out,
R5 basis sanity and the purpose hierarchy (gdpr-rules.md §7.1, rows T1-T6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from handlers.basis import effective_basis
from handlers.evaluate import evaluate
from schemas.codes import AuditType, Reason, Rejection
from schemas.enums import Actor, Basis, Category, Channel, SuppressionScope, UnsubscribeScope
from schemas.events import BaseEvent
from schemas.outputs import AuditRecorded, CommandRejected, Decision
from tests.unit import builders as b
from tests.unit.builders import (
    ADMIN,
    CAR,
    CATEGORY,
    EMAIL,
    FRAUD,
    PET,
    PET_LI,
    PHONE,
    POST,
    SMS,
)

pytestmark = pytest.mark.unit

NOW = "2026-06-01T12:00:00"


def _pet_consents(*channels: Channel, at: str = "2026-01-01") -> list[BaseEvent]:
    return [b.consent(PET, ch, at) for ch in channels]


def _decide(
    events: Sequence[BaseEvent], cell: tuple[str, Channel | None], at: str = NOW, **rules: Any
) -> Decision:
    return b.decide(b.policy(**rules), b.person(), events, cell, at)


def _audit_types(effects: Sequence[object]) -> list[AuditType]:
    return [e.event.event_type for e in effects if isinstance(e, AuditRecorded)]


def _rejections(effects: Sequence[object]) -> list[Rejection]:
    return [e.reason for e in effects if isinstance(e, CommandRejected)]


# --- baseline ----------------------------------------------------------------------------


def test_baseline_consent_is_permitted() -> None:
    decision = _decide(_pet_consents(EMAIL), (PET, EMAIL))
    assert decision.permitted
    assert (decision.reason, decision.rule, decision.row) == (Reason.CONSENT_ACTIVE, "R12", "T10")
    assert decision.effective_basis is Basis.CONSENT


# --- R1 erasure --------------------------------------------------------------------------


def test_r1_executed_erasure_refuses_marketing_from_execution_instant() -> None:
    events = [*_pet_consents(EMAIL), b.erasure("2026-03-01"), b.executed("2026-03-10T09:00")]
    before = _decide(events, (PET, EMAIL), at="2026-03-10T08:59:59")
    at_exec = _decide(events, (PET, EMAIL), at="2026-03-10T09:00")
    assert before.permitted
    assert not at_exec.permitted
    assert (at_exec.reason, at_exec.rule, at_exec.row) == (Reason.ERASED, "R1", "T1")


def test_r1_requested_but_not_executed_does_not_refuse() -> None:
    events = [*_pet_consents(EMAIL), b.erasure("2026-03-01")]
    assert _decide(events, (PET, EMAIL)).permitted


def test_r1_retained_category_is_restricted_for_non_retention_basis() -> None:
    purposes = [
        *b.standard_purposes()[:-1],
        b.purpose(
            FRAUD,
            Category.NON_MARKETING,
            Basis.LEGITIMATE_INTERESTS,
            data_categories=("CONTRACT_DATA",),
            **b.li_fields(),
        ),
    ]
    pol = b.policy(purposes)
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events: list[BaseEvent] = [
        *b.notices(FRAUD, ADMIN),
        b.erasure("2026-03-01"),
        b.executed("2026-03-10", retained=("CONTRACT_DATA",), erased=("MARKETING_CONSENTS",)),
    ]
    fraud = b.decide(pol, p, events, (FRAUD, None), NOW)
    admin = b.decide(pol, p, events, (ADMIN, None), NOW)
    assert (fraud.permitted, fraud.reason, fraud.rule) == (False, Reason.RESTRICTED, "R1")
    # the retention purpose itself (contract basis) still runs on the retained category
    assert admin.permitted
    assert admin.reason is Reason.CONTRACT_ACTIVE


def test_r1_erased_category_refuses_non_marketing() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events: list[BaseEvent] = [
        *b.notices(ADMIN),
        b.erasure("2026-03-01"),
        b.executed("2026-03-10", erased=("CONTRACT_DATA",)),
    ]
    decision = b.decide(b.policy(), p, events, (ADMIN, None), NOW)
    assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
        False,
        Reason.ERASED,
        "R1",
        "T1",
    )


# --- R2 restriction ----------------------------------------------------------------------


def test_r2_person_restriction_refuses_every_purpose() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events = [*_pet_consents(EMAIL), *b.notices(ADMIN), b.restrict("2026-02-01")]
    pol = b.policy()
    for cell in ((PET, EMAIL), (ADMIN, None)):
        decision = b.decide(pol, p, events, cell, NOW)
        assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
            False,
            Reason.RESTRICTED,
            "R2",
            "T2",
        )
    assert b.decide(pol, p, events, (PET, EMAIL), "2026-01-31").permitted


def test_r2_purpose_restriction_covers_children_only() -> None:
    events = [*_pet_consents(EMAIL), b.consent(CAR, EMAIL, "2026-01-01")]
    events.append(b.restrict("2026-02-01", purpose_id=CATEGORY))
    assert _decide(events, (PET, EMAIL)).reason is Reason.RESTRICTED
    events2 = [*_pet_consents(EMAIL), b.consent(CAR, EMAIL, "2026-01-01")]
    events2.append(b.restrict("2026-02-01", purpose_id=CAR))
    assert _decide(events2, (PET, EMAIL)).permitted
    assert _decide(events2, (CAR, EMAIL)).reason is Reason.RESTRICTED


def test_r2_lift_with_prior_notice_ends_restriction() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.restrict("2026-02-01"),
        b.lift_notified("2026-03-01"),
        b.lifted("2026-03-05"),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert not _rejections(effects)
    assert AuditType.RESTRICTION_LIFTED in _audit_types(effects)
    assert not evaluate(state, pol, PET, EMAIL, b.t("2026-03-04")).permitted
    assert evaluate(state, pol, PET, EMAIL, b.t("2026-03-05")).permitted


def test_r2_lift_without_notice_is_rejected_and_restriction_stays() -> None:
    events = [*_pet_consents(EMAIL), b.restrict("2026-02-01"), b.lifted("2026-03-05")]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert _rejections(effects) == [Rejection.RESTRICTION_LIFT_NOT_NOTIFIED]
    types = _audit_types(effects)
    assert AuditType.RESTRICTION_LIFT_REJECTED in types
    assert AuditType.RESTRICTION_LIFTED not in types
    assert evaluate(state, pol, PET, EMAIL, b.t(NOW)).reason is Reason.RESTRICTED


def test_r2_notice_after_the_lift_does_not_count() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.restrict("2026-02-01"),
        b.lifted("2026-03-05"),
        b.lift_notified("2026-03-06"),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert _rejections(effects) == [Rejection.RESTRICTION_LIFT_NOT_NOTIFIED]
    assert evaluate(state, pol, PET, EMAIL, b.t(NOW)).reason is Reason.RESTRICTED


def test_r2_legal_claims_purpose_passes_restriction() -> None:
    claims = b.purpose(
        "claims-defence",
        Category.NON_MARKETING,
        Basis.LEGITIMATE_INTERESTS,
        legal_claims=True,
        **b.li_fields(),
    )
    other = b.purpose(
        "analytics", Category.NON_MARKETING, Basis.LEGITIMATE_INTERESTS, **b.li_fields()
    )
    pol = b.policy([claims, other])
    events = [*b.notices("claims-defence", "analytics"), b.restrict("2026-02-01")]
    assert b.decide(pol, b.person(), events, ("claims-defence", None), NOW).permitted
    refused = b.decide(pol, b.person(), events, ("analytics", None), NOW)
    assert refused.reason is Reason.RESTRICTED


# --- R3 notice ---------------------------------------------------------------------------


def test_r3_no_notice_refuses_and_notice_permits() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    without = b.decide(b.policy(), p, [], (PET_LI, POST), NOW)
    assert (without.permitted, without.reason, without.rule, without.row) == (
        False,
        Reason.NO_NOTICE,
        "R3",
        "T4b",
    )
    with_notice = b.decide(b.policy(), p, [b.notice(PET_LI, "2026-01-01")], (PET_LI, POST), NOW)
    assert with_notice.permitted
    assert with_notice.reason is Reason.POSTAL_LI


def test_r3_notice_after_evaluation_instant_does_not_count() -> None:
    events: list[BaseEvent] = [b.notice(PET_LI, "2026-06-01T12:00:01")]
    assert _decide(events, (PET_LI, POST)).reason is Reason.NO_NOTICE
    assert _decide(events, (PET_LI, POST), at="2026-06-01T12:00:01").permitted


def test_r3_non_marketing_without_notice_is_row_t4b() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    decision = b.decide(b.policy(), p, [], (ADMIN, None), NOW)
    assert (decision.reason, decision.rule, decision.row) == (Reason.NO_NOTICE, "R3", "T4b")


def test_r3_third_party_data_needs_art14_notice() -> None:
    p = b.person(third_party_source=True)
    pol = b.policy()
    art13 = b.decide(pol, p, [b.notice(PET_LI)], (PET_LI, POST), NOW)
    assert art13.reason is Reason.NO_NOTICE
    # the consent record's own notice version is an Art. 13 notice: not enough either
    consented = b.decide(pol, p, _pet_consents(EMAIL), (PET, EMAIL), NOW)
    assert consented.reason is Reason.NO_NOTICE
    art14 = b.decide(pol, p, [b.notice(PET_LI, art14=True)], (PET_LI, POST), NOW)
    assert art14.permitted


def test_r3_consent_notice_version_counts_as_art13_notice() -> None:
    decision = _decide([b.consent(PET, EMAIL, "2026-01-01")], (PET, EMAIL))
    assert decision.permitted


# --- R4 DM objection and suppression -----------------------------------------------------


def test_r4_dm_objection_refuses_all_marketing_but_not_service() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events = [*_pet_consents(EMAIL), *b.notices(PET_LI, ADMIN), b.dm_objection("2026-03-01")]
    pol = b.policy()
    for cell in ((PET, EMAIL), (PET_LI, POST)):
        decision = b.decide(pol, p, events, cell, NOW)
        assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
            False,
            Reason.DM_OBJECTION,
            "R4",
            "T3",
        )
    assert b.decide(pol, p, events, (ADMIN, None), NOW).permitted
    assert b.decide(pol, p, events, (PET, EMAIL), "2026-02-28").permitted


def test_r4_objection_precedes_missing_notice() -> None:
    decision = _decide([b.dm_objection("2026-03-01")], (PET_LI, POST))
    assert decision.reason is Reason.DM_OBJECTION


def test_r4_later_self_given_consent_lifts_objection_for_that_channel_only() -> None:
    events = [
        *_pet_consents(EMAIL, SMS),
        b.dm_objection("2026-03-01"),
        b.consent(PET, EMAIL, "2026-04-01"),
    ]
    assert _decide(events, (PET, EMAIL)).permitted
    assert _decide(events, (PET, SMS)).reason is Reason.DM_OBJECTION
    assert _decide(events, (PET, EMAIL), at="2026-03-31").reason is Reason.DM_OBJECTION


@pytest.mark.parametrize(
    ("actor", "evidence", "lifts"),
    [
        (Actor.SELF, None, True),
        (Actor.IMPORT, None, False),
        (Actor.AGENT, None, False),
        (Actor.AGENT, "call-recording-7", True),
    ],
)
def test_r4_only_self_given_consent_lifts(actor: Actor, evidence: str | None, lifts: bool) -> None:
    events = [
        b.dm_objection("2026-03-01"),
        b.consent(PET, EMAIL, "2026-04-01", actor=actor, evidence_ref=evidence, agent_id="a1"),
    ]
    decision = _decide(events, (PET, EMAIL))
    assert decision.permitted is lifts
    if not lifts:
        assert decision.reason is Reason.DM_OBJECTION


def test_r4_lift_can_be_disabled_by_config() -> None:
    events = [b.dm_objection("2026-03-01"), b.consent(PET, EMAIL, "2026-04-01")]
    decision = _decide(events, (PET, EMAIL), fresh_consent_lifts_suppression=False)
    assert decision.reason is Reason.DM_OBJECTION


def test_r4_suppression_dm_all_and_channel_scoped() -> None:
    dm_all = [*_pet_consents(EMAIL, SMS), b.suppression("2026-03-01")]
    for ch in (EMAIL, SMS):
        decision = _decide(dm_all, (PET, ch))
        assert (decision.reason, decision.rule, decision.row) == (Reason.SUPPRESSED, "R4", "T3")
    scoped = [*_pet_consents(EMAIL, SMS), b.suppression("2026-03-01", SuppressionScope.SMS)]
    assert _decide(scoped, (PET, EMAIL)).permitted
    assert _decide(scoped, (PET, SMS)).reason is Reason.SUPPRESSED


def test_r4_suppression_lifted_by_later_self_consent_not_by_import() -> None:
    base = [b.suppression("2026-03-01")]
    own = [*base, b.consent(PET, EMAIL, "2026-04-01")]
    imported = [*base, b.consent(PET, EMAIL, "2026-04-01", actor=Actor.IMPORT)]
    assert _decide(own, (PET, EMAIL)).permitted
    assert _decide(imported, (PET, EMAIL)).reason is Reason.SUPPRESSED


# --- R4b channel opt-out -----------------------------------------------------------------


def test_r4b_opt_out_blocks_channel_for_all_marketing_by_default() -> None:
    events = [
        *_pet_consents(EMAIL, SMS),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.unsubscribe(EMAIL, "2026-03-01", purpose_id=PET),
    ]
    for cell in ((PET, EMAIL), (CAR, EMAIL)):
        decision = _decide(events, cell)
        assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
            False,
            Reason.CHANNEL_OPT_OUT,
            "R4b",
            "T4",
        )
    assert _decide(events, (PET, SMS)).permitted


def test_r4b_purpose_channel_scope_blocks_only_that_purpose() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.unsubscribe(EMAIL, "2026-03-01", purpose_id=PET),
    ]
    scope = UnsubscribeScope.PURPOSE_CHANNEL
    assert _decide(events, (PET, EMAIL), unsubscribe_scope=scope).reason is Reason.CHANNEL_OPT_OUT
    assert _decide(events, (CAR, EMAIL), unsubscribe_scope=scope).permitted


def test_r4b_purpose_channel_scope_opt_out_on_category_flows_down() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.unsubscribe(EMAIL, "2026-03-01", purpose_id=CATEGORY),
    ]
    scope = UnsubscribeScope.PURPOSE_CHANNEL
    for pid in (PET, CAR):
        assert _decide(events, (pid, EMAIL), unsubscribe_scope=scope).reason is (
            Reason.CHANNEL_OPT_OUT
        )


def test_r4b_later_self_consent_lifts_opt_out() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.unsubscribe(EMAIL, "2026-03-01"),
        b.consent(PET, EMAIL, "2026-04-01"),
    ]
    assert _decide(events, (PET, EMAIL)).permitted
    assert _decide(events, (PET, EMAIL), at="2026-03-15").reason is Reason.CHANNEL_OPT_OUT


def test_r4b_preference_centre_opt_out_is_a_withdrawal_not_a_channel_opt_out() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.withdraw(PET, EMAIL, "2026-03-01"),
    ]
    assert _decide(events, (PET, EMAIL)).reason is Reason.CONSENT_WITHDRAWN
    assert _decide(events, (CAR, EMAIL)).permitted


# --- R5 basis sanity ---------------------------------------------------------------------


@pytest.mark.parametrize("basis", [Basis.CONTRACT, Basis.LEGAL_OBLIGATION, Basis.VITAL_INTERESTS])
def test_r5_marketing_basis_must_be_consent_or_li(basis: Basis) -> None:
    pol = b.policy([b.purpose("mkt", basis=basis, legal_reference="x")])
    decision = b.decide(pol, b.person(), [b.notice("mkt")], ("mkt", EMAIL), NOW)
    assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
        False,
        Reason.BASIS_NOT_ALLOWED_FOR_MARKETING,
        "R5",
        "T6",
    )


def test_r5_basis_swap_after_withdrawal_is_rejected() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.withdraw(PET, EMAIL, "2026-02-01"),
        b.basis_change(PET, Basis.LEGITIMATE_INTERESTS, "2026-03-01"),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert _rejections(effects) == [Rejection.BASIS_SWAP_REJECTED]
    assert AuditType.BASIS_CHANGE_REJECTED in _audit_types(effects)
    assert AuditType.BASIS_SET not in _audit_types(effects)
    assert effective_basis(state, pol, PET, b.t(NOW)) is Basis.CONSENT
    assert evaluate(state, pol, PET, EMAIL, b.t(NOW)).reason is Reason.CONSENT_WITHDRAWN


def test_r5_basis_change_without_withdrawal_is_accepted() -> None:
    events = [*_pet_consents(EMAIL), b.basis_change(PET, Basis.LEGITIMATE_INTERESTS, "2026-03-01")]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert not _rejections(effects)
    assert AuditType.BASIS_SET in _audit_types(effects)
    assert effective_basis(state, pol, PET, b.t("2026-02-28")) is Basis.CONSENT
    assert effective_basis(state, pol, PET, b.t(NOW)) is Basis.LEGITIMATE_INTERESTS


def test_r5_basis_change_for_a_new_purpose_with_fresh_notice_is_accepted() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.withdraw(PET, EMAIL, "2026-02-01"),
        b.basis_change(PET, Basis.LEGITIMATE_INTERESTS, "2026-03-01", fresh_notice=True),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert not _rejections(effects)
    assert effective_basis(state, pol, PET, b.t(NOW)) is Basis.LEGITIMATE_INTERESTS


def test_r5_basis_change_to_contract_on_marketing_is_rejected() -> None:
    events: list[BaseEvent] = [b.basis_change(PET, Basis.CONTRACT, "2026-03-01")]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert _rejections(effects) == [Rejection.BASIS_NOT_ALLOWED_FOR_MARKETING]
    assert AuditType.BASIS_CHANGE_REJECTED in _audit_types(effects)
    assert effective_basis(state, pol, PET, b.t(NOW)) is Basis.CONSENT


# --- purpose hierarchy -------------------------------------------------------------------


def test_hierarchy_withdrawal_on_category_applies_to_products() -> None:
    events = [
        *_pet_consents(EMAIL, SMS),
        b.consent(CATEGORY, EMAIL, "2026-01-01"),
        b.withdraw(CATEGORY, EMAIL, "2026-03-01"),
    ]
    assert _decide(events, (PET, EMAIL)).reason is Reason.CONSENT_WITHDRAWN
    assert _decide(events, (PET, SMS)).permitted
    assert _decide(events, (PET, EMAIL), at="2026-02-28").permitted


def test_hierarchy_channel_less_withdrawal_on_category_applies_to_every_channel() -> None:
    events = [*_pet_consents(EMAIL, SMS), b.withdraw(CATEGORY, None, "2026-03-01")]
    for ch in (EMAIL, SMS):
        assert _decide(events, (PET, ch)).reason is Reason.CONSENT_WITHDRAWN


def test_hierarchy_product_consent_after_category_withdrawal_is_active() -> None:
    events = [
        b.withdraw(CATEGORY, EMAIL, "2026-01-01"),
        b.consent(PET, EMAIL, "2026-03-01"),
    ]
    assert _decide(events, (PET, EMAIL)).permitted


def test_hierarchy_grant_on_category_does_not_flow_down() -> None:
    events: list[BaseEvent] = [b.consent(CATEGORY, EMAIL, "2026-01-01")]
    assert _decide(events, (CATEGORY, EMAIL)).permitted
    child = _decide(events, (PET, EMAIL))
    assert (child.permitted, child.reason, child.rule, child.row) == (
        False,
        Reason.CONSENT_NOT_OPT_IN,
        "R6",
        "T7",
    )


def test_hierarchy_dm_objection_on_category_applies_to_products_not_siblings_tree() -> None:
    other = b.purpose("travel-mkt", product_family="travel")
    pol = b.policy([*b.standard_purposes(), other])
    events = [
        *_pet_consents(EMAIL),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.consent("travel-mkt", EMAIL, "2026-01-01"),
        b.dm_objection("2026-03-01", purpose_id=CATEGORY),
    ]
    p = b.person()
    assert b.decide(pol, p, events, (PET, EMAIL), NOW).reason is Reason.DM_OBJECTION
    assert b.decide(pol, p, events, (CAR, EMAIL), NOW).reason is Reason.DM_OBJECTION
    assert b.decide(pol, p, events, ("travel-mkt", EMAIL), NOW).permitted


def test_hierarchy_dm_objection_on_product_does_not_reach_parent_or_sibling() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.consent(CAR, EMAIL, "2026-01-01"),
        b.consent(CATEGORY, EMAIL, "2026-01-01"),
        b.dm_objection("2026-03-01", purpose_id=PET),
    ]
    assert _decide(events, (PET, EMAIL)).reason is Reason.DM_OBJECTION
    assert _decide(events, (CAR, EMAIL)).permitted
    assert _decide(events, (CATEGORY, EMAIL)).permitted


def test_hierarchy_phone_channel_unaffected_by_email_withdrawal() -> None:
    events = [
        b.consent(PET, PHONE, "2026-01-01"),
        b.withdraw(CATEGORY, EMAIL, "2026-03-01"),
    ]
    assert _decide(events, (PET, PHONE), at="2026-06-01T12:00").permitted


def test_hierarchy_basis_swap_after_category_withdrawal_is_rejected() -> None:
    events = [
        *_pet_consents(EMAIL),
        b.withdraw(CATEGORY, None, "2026-02-01"),
        b.basis_change(PET, Basis.LEGITIMATE_INTERESTS, "2026-03-01"),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert _rejections(effects) == [Rejection.BASIS_SWAP_REJECTED]
    assert effective_basis(state, pol, PET, b.t(NOW)) is Basis.CONSENT


def test_hierarchy_in_call_refusal_is_not_a_channel_opt_out() -> None:
    p = b.person(contracts=(b.contract("2025-01-01"),))
    events = [*b.notices(PET_LI), b.refusal("2026-03-01")]
    decision = b.decide(b.policy(), p, events, (PET_LI, PHONE), NOW)
    assert decision.permitted
    assert decision.reason is Reason.PHONE_LI


def test_r4_dm_objection_stops_marketing_profiling_without_a_channel() -> None:
    profiling = b.purpose("dm-profiling", basis=Basis.LEGITIMATE_INTERESTS, **b.li_fields())
    pol = b.policy([profiling])
    events = [b.notice("dm-profiling"), b.dm_objection("2026-03-01")]
    before = b.decide(pol, b.person(), events, ("dm-profiling", None), "2026-02-28")
    assert before.permitted
    after = b.decide(pol, b.person(), events, ("dm-profiling", None), NOW)
    assert (after.permitted, after.reason, after.rule, after.row) == (
        False,
        Reason.DM_OBJECTION,
        "R4",
        "T3",
    )
