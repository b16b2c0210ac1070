"""Art. 7(1): a deleted consent record (the proof) no longer grants consent; other records
for the cell keep deciding, a deleted withdrawal revives nothing, redelivery changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.alerts import alerts_due
from handlers.evaluate import evaluate
from handlers.fold import decide
from schemas.codes import AlertType, AuditType, Reason
from schemas.enums import Channel, ConsentStatus
from schemas.events import BaseEvent, ConsentRecordDeleted, ConsentRecorded, EventSource
from schemas.outputs import AuditRecorded, CellsAffected
from schemas.state import PersonState
from tests.unit import builders as b
from tests.unit.builders import CAR, EMAIL, PET, SMS

pytestmark = pytest.mark.unit

NOW = "2026-06-01T12:00:00Z"
RECORD_A = "0ZY000000000001AAA"
RECORD_B = "0ZY000000000002AAA"


def _recorded(
    record_id: str,
    at: str,
    status: ConsentStatus = ConsentStatus.OPT_IN,
    purpose_id: str = PET,
    channel: Channel | None = EMAIL,
    **fields: Any,
) -> ConsentRecorded:
    event = b.consent(purpose_id, channel, at, status, **fields)
    return event.model_copy(update={"source": EventSource(record_id=record_id)})


def _deleted(record_id: str, at: str = "2026-03-01T00:00:00Z") -> ConsentRecordDeleted:
    return ConsentRecordDeleted(
        event_id=f"del:{record_id}:{at}",
        occurred_at=b.t(at),
        source=EventSource(record_id=record_id),
        record_id=record_id,
    )


def _state(events: list[BaseEvent]) -> PersonState:
    """Folded with an Art. 13 notice of its own, so the consent alone decides."""
    return b.fold(b.policy(), b.person(), [b.notice(PET), *events])


def _pet_email(state: PersonState, at: str = NOW) -> tuple[bool, Reason]:
    decision = evaluate(state, b.policy(), PET, EMAIL, b.t(at))
    return decision.permitted, decision.reason


def test_the_only_record_deleted_no_longer_permits() -> None:
    consent = _recorded(RECORD_A, "2026-01-01T00:00:00Z")
    assert _pet_email(_state([consent])) == (True, Reason.CONSENT_ACTIVE)
    state = _state([consent, _deleted(RECORD_A)])
    permitted, reason = _pet_email(state)
    assert not permitted
    assert reason is Reason.CONSENT_NOT_OPT_IN
    assert state.consents == {}


def test_another_record_for_the_cell_keeps_it_permitted() -> None:
    events: list[BaseEvent] = [
        _recorded(RECORD_A, "2026-01-01T00:00:00Z"),
        _recorded(RECORD_B, "2026-01-02T00:00:00Z"),
    ]
    state = _state([*events, _deleted(RECORD_B)])
    assert _pet_email(state) == (True, Reason.CONSENT_ACTIVE)
    (history,) = state.consents.values()
    assert [r.source.record_id for r in history if r.source] == [RECORD_A]
    state = _state([*events, _deleted(RECORD_A), _deleted(RECORD_B)])
    assert not _pet_email(state)[0]


def test_a_deleted_withdrawal_revives_no_older_consent() -> None:
    events: list[BaseEvent] = [
        _recorded(RECORD_A, "2026-01-01T00:00:00Z"),
        _recorded(RECORD_B, "2026-02-01T00:00:00Z", ConsentStatus.OPT_OUT),
        _deleted(RECORD_B),
    ]
    assert _pet_email(_state(events)) == (False, Reason.CONSENT_WITHDRAWN)


def test_deletion_is_audited_and_marks_the_records_cells() -> None:
    pol = b.policy()
    plain = _recorded(RECORD_A, "2026-01-01T00:00:00Z", channel=SMS, notice_version=None)
    _, effects = decide(_state([plain]), _deleted(RECORD_A), now=b.t(NOW), config=pol)
    (audit,) = [e for e in effects if isinstance(e, AuditRecorded)]
    assert audit.fields["event_type"] is AuditType.CONSENT_RECORDED
    assert audit.fields["new_state"] == {"record_deleted": RECORD_A, "removed": 1}
    assert (audit.fields["purpose_id"], audit.fields["channel"]) == (PET, SMS)
    (cells,) = [e for e in effects if isinstance(e, CellsAffected)]
    assert cells.channels == frozenset({SMS})
    assert cells.purpose_ids is not None
    assert PET in cells.purpose_ids
    assert CAR not in cells.purpose_ids
    noticed = _recorded(RECORD_A, "2026-01-01T00:00:00Z", channel=SMS)  # R3: every channel
    _, effects = decide(_state([noticed]), _deleted(RECORD_A), now=b.t(NOW), config=pol)
    (cells,) = [e for e in effects if isinstance(e, CellsAffected)]
    assert cells.channels is None


def test_a_redelivered_or_unknown_deletion_changes_nothing() -> None:
    pol = b.policy()
    state = _state([_recorded(RECORD_A, "2026-01-01T00:00:00Z"), _deleted(RECORD_A)])
    again, effects = decide(state, _deleted(RECORD_A), now=b.t(NOW), config=pol)
    assert again is state
    assert effects == ()
    other = _deleted(RECORD_B)
    after, effects = decide(state, other, now=b.t(NOW), config=pol)
    assert effects == ()
    assert after.consents == state.consents
    assert after.audit_count == state.audit_count


def test_an_undeleted_record_grants_again() -> None:
    """In arrival order (the stream's): the undelete re-records the capture-dated consent."""
    pol = b.policy()
    consent = _recorded(RECORD_A, "2026-01-01T00:00:00Z")
    state = _state([consent])
    for event in (_deleted(RECORD_A), consent.model_copy(update={"event_id": "undeleted"})):
        state, _ = decide(state, event, now=b.t(NOW), config=pol)
    assert _pet_email(state) == (True, Reason.CONSENT_ACTIVE)


def test_no_expiry_alert_for_a_deleted_record() -> None:
    consent = _recorded(RECORD_A, "2025-01-10T10:00:00Z")
    window = ("2026-12-01", "2027-01-10")
    pol = b.policy()

    def expiring(events: list[BaseEvent]) -> list[str]:
        state = b.fold(pol, b.person(), events)
        alerts = alerts_due(state, pol, b.t(window[0]), b.t(window[1]))
        return [a.alert_key for a in alerts if a.type is AlertType.CONSENT_EXPIRING]

    assert expiring([consent])
    assert expiring([consent, _deleted(RECORD_A, "2026-03-01T00:00:00Z")]) == []


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from([RECORD_A, RECORD_B, "0ZY000000000003AAA"]),
            st.integers(min_value=0, max_value=100),
            st.sampled_from([ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT]),
        ),
        min_size=1,
        max_size=6,
    ),
    gone=st.sampled_from([RECORD_A, RECORD_B]),
)
def test_deletion_equals_never_having_granted(
    records: list[tuple[str, int, ConsentStatus]], gone: str
) -> None:
    """Deleting a record decides as if its opt-ins had never been recorded."""
    start = b.t("2026-01-01T00:00:00Z")
    events = [_recorded(rid, str(start + timedelta(hours=h)), status) for rid, h, status in records]
    deleted = _state([*events, _deleted(gone)])
    without = _state(
        [
            e
            for e in events
            if not (e.status is ConsentStatus.OPT_IN and e.source and e.source.record_id == gone)
        ]
    )
    assert _pet_email(deleted) == _pet_email(without)
    assert deleted.consents == without.consents
