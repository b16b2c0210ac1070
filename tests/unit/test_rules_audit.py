"""R20 audit: every state change emits a hash-chained audit entry, the chain verifies and
detects tampering, and no entry carries the person's email or phone (gdpr-rules.md §5.2)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from handlers.audit import verify_chain
from handlers.fold import decide
from handlers.fold_rules import HANDLERS
from schemas.codes import AuditType
from schemas.enums import Basis, ContactPointKind, DncRegister, Engagement, ObjectionStatus
from schemas.events import BaseEvent, EventSource, VitalInterestsInvoked
from schemas.outputs import AuditEvent, AuditRecorded, CommandRejected, Effect
from schemas.state import GENESIS_HASH
from tests.unit import builders as b
from tests.unit.builders import CAR, EMAIL, FRAUD, PERSON_EMAIL, PERSON_PHONE, PET, PHONE, SMS

pytestmark = pytest.mark.unit


def _scenario() -> list[BaseEvent]:
    """At least one event of every kind, in time order, including rejected commands."""
    p2 = b.person(
        contact_points=(
            b.contact(ContactPointKind.EMAIL, "new.address@example.net"),
            b.contact(ContactPointKind.PHONE, "+44 7700 900999"),
        ),
        contracts=(b.contract("2025-01-01"),),
    )
    vital = VitalInterestsInvoked(
        event_id="vi-1",
        occurred_at=b.t("2026-01-20"),
        purpose_id=FRAUD,
        invoked_by="agent-1",
        source=EventSource(record_id="a0B000000000001"),
    )
    return [
        b.notice(PET, "2026-01-01"),
        b.consent(PET, EMAIL, "2026-01-02"),
        b.doi(PET, EMAIL, "2026-01-03"),
        b.doi(PET, SMS, "2026-01-03T01:00"),  # rejected: nothing to confirm
        b.reconfirm(PET, EMAIL, "2026-01-04"),
        b.consent(PET, PHONE, "2026-01-04T01:00", source=EventSource(record_id="0ZY000000000009")),
        b.consent_deleted("0ZY000000000009", "2026-01-04T02:00"),
        b.engage(Engagement.CLICK, "2026-01-05", PET, EMAIL),
        b.engage(Engagement.OPEN, "2026-01-05T01:00", PET, EMAIL),
        b.unsubscribe(SMS, "2026-01-06"),
        b.dm_objection("2026-01-07", purpose_id=CAR),
        b.objection(FRAUD, "2026-01-08"),
        b.objection(FRAUD, "2026-01-09", ObjectionStatus.UPHELD),
        b.restrict("2026-01-10"),
        b.lifted("2026-01-11"),  # rejected: no notice
        b.lift_notified("2026-01-12"),
        b.lifted("2026-01-13"),
        b.dnc(DncRegister.TPS, "2026-01-14"),
        b.dnc_removed(DncRegister.TPS, "2026-01-15"),
        b.call("2026-01-16"),
        b.refusal("2026-01-16T01:00"),
        b.withdraw(PET, EMAIL, "2026-01-17"),
        b.basis_change(PET, Basis.LEGITIMATE_INTERESTS, "2026-01-18"),  # rejected: swap
        b.basis_change(CAR, Basis.LEGITIMATE_INTERESTS, "2026-01-19"),
        vital,
        b.suppression("2026-01-21"),
        b.updated(p2, "2026-01-22"),
        b.hold("2026-01-23", ("MARKETING_HISTORY",)),
        b.hold_released("2026-01-24"),
        b.erasure("2026-02-01"),
        b.identity_requested("2026-02-02"),
        b.identity_received("2026-02-03"),
        b.extension("2026-02-04"),
        b.executed("2026-02-10"),
        b.alert_emitted("CONSENT_EXPIRING:x", "2026-02-11"),
    ]


def _fold() -> tuple[list[BaseEvent], list[Effect], list[AuditEvent]]:
    events = _scenario()
    _, effects = b.fold_effects(b.policy(), b.person(), events)
    audits = [e.event for e in effects if isinstance(e, AuditRecorded)]
    return events, effects, audits


def test_every_event_kind_is_covered_by_the_scenario() -> None:
    assert {type(e) for e in _scenario()} == set(HANDLERS)


def test_every_event_emits_an_audit_entry() -> None:
    events, effects, audits = _fold()
    audited = {a.source["event_id"] for a in audits if a.source}
    assert {e.event_id for e in events} <= audited
    rejected = [e for e in effects if isinstance(e, CommandRejected)]
    assert len(rejected) == 3
    rejected_types = {
        a.event_type
        for a in audits
        if a.source and a.source["event_id"] in {r.event_id for r in rejected}
    }
    assert rejected_types == {
        AuditType.COMMAND_REJECTED,
        AuditType.RESTRICTION_LIFT_REJECTED,
        AuditType.BASIS_CHANGE_REJECTED,
    }


def test_suppression_entries_accompany_objections_and_opt_outs() -> None:
    _, _, audits = _fold()
    by_event: dict[str, list[AuditType]] = {}
    for a in audits:
        assert a.source is not None
        by_event.setdefault(a.source["event_id"], []).append(a.event_type)
    types = [t for ts in by_event.values() for t in ts]
    assert types.count(AuditType.SUPPRESSION_ADDED) == 3  # opt-out, DM objection, list match


def test_chain_verifies_and_state_holds_the_head() -> None:
    events = _scenario()
    state, effects = b.fold_effects(b.policy(), b.person(), events)
    audits = [e.event for e in effects if isinstance(e, AuditRecorded)]
    assert verify_chain(audits, GENESIS_HASH) is None
    assert audits[0].prev_hash == GENESIS_HASH
    assert state.audit_head == audits[-1].hash
    assert state.audit_count == len(audits)
    assert len({a.event_id for a in audits}) == len(audits)


def test_chain_continues_across_folds() -> None:
    events = _scenario()
    pol = b.policy()
    first, effects1 = b.fold_effects(pol, b.person(), events[:10])
    audits = [e.event for e in effects1 if isinstance(e, AuditRecorded)]
    state = first
    for event in events[10:]:
        state, produced = decide(state, event, now=b.t("2030-01-01"), config=pol)
        audits += [e.event for e in produced if isinstance(e, AuditRecorded)]
    assert verify_chain(audits, GENESIS_HASH) is None


@pytest.mark.parametrize("index", [0, 7, -1])
def test_tampering_is_detected(index: int) -> None:
    _, _, audits = _fold()
    position = index % len(audits)
    audits[position] = audits[position].model_copy(update={"new_state": {"status": "OPT_IN"}})
    assert verify_chain(audits, GENESIS_HASH) == position


def test_dropped_or_reordered_entries_are_detected() -> None:
    _, _, audits = _fold()
    assert verify_chain(audits[:3] + audits[4:], GENESIS_HASH) == 3
    swapped = [audits[1], audits[0], *audits[2:]]
    assert verify_chain(swapped, GENESIS_HASH) == 0
    assert verify_chain(audits, "f" * 64) == 0


def test_chain_verifies_after_json_round_trip() -> None:
    _, _, audits = _fold()
    text = json.dumps([a.model_dump(mode="json") for a in audits])
    parsed = [AuditEvent.model_validate(item) for item in json.loads(text)]
    assert verify_chain(parsed, GENESIS_HASH) is None


def test_redelivered_event_changes_nothing() -> None:
    pol = b.policy()
    event = b.consent(PET, EMAIL, "2026-01-02")
    state, _ = b.fold_effects(pol, b.person(), [event])
    again, effects = decide(state, event, now=b.t("2030-01-01"), config=pol)
    assert effects == ()
    assert again == state


def test_no_audit_entry_contains_email_or_phone() -> None:
    _, _, audits = _fold()
    text = json.dumps([a.model_dump(mode="json") for a in audits]).lower()
    for value in (
        PERSON_EMAIL,
        "alex.doe",
        "new.address@example.net",
        PERSON_PHONE,
        "900123",
        "900999",
        "high street",
    ):
        assert value.lower() not in text
    person_updates = [a for a in audits if a.event_type is AuditType.PERSON_UPDATED]
    assert person_updates
    assert person_updates[0].new_state is not None
    assert "contact_points" in person_updates[0].new_state["changed"]


def test_audit_entries_carry_the_person_ref_and_occurrence_time() -> None:
    events, _, audits = _fold()
    assert {a.person_ref for a in audits} == {"0PK000000000001AAA"}
    occurred = {e.event_id: e.occurred_at for e in events}
    for a in audits:
        assert a.source is not None
        assert a.occurred_at == occurred[a.source["event_id"]]
        assert a.recorded_at == b.t("2030-01-01")


def test_audit_of_rejected_command_keeps_state() -> None:
    pol = b.policy()
    state, _ = b.fold_effects(pol, b.person(), [b.restrict("2026-01-10")])
    after, effects = decide(state, b.lifted("2026-01-11"), now=b.t("2030-01-01"), config=pol)
    assert [type(e) for e in effects] == [CommandRejected, AuditRecorded]
    assert after.restrictions == state.restrictions
    assert after == replace(
        state,
        seen_event_ids=after.seen_event_ids,
        audit_head=after.audit_head,
        audit_count=state.audit_count + 1,
    )


def test_phone_consent_proof_fields_in_evidence() -> None:
    events: list[BaseEvent] = [
        b.consent(PET, PHONE, "2026-01-02", evidence_ref="rec-17", capture_source="call-centre")
    ]
    _, effects = b.fold_effects(b.policy(), b.person(), events)
    audit = next(e.event for e in effects if isinstance(e, AuditRecorded))
    assert audit.event_type is AuditType.CONSENT_GIVEN
    assert audit.evidence is not None
    assert audit.evidence["evidence_ref"] == "rec-17"
    assert audit.evidence["notice_version"] == "PN-1"
    assert audit.lawful_basis is Basis.CONSENT
