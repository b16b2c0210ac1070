"""R17 alerts: CONSENT_EXPIRING per lead (DECAY / EFFECTIVE_TO), never for blocked cells,
deduplicated by AlertEmitted; RECONFIRMATION_DUE; ERASURE_DEADLINE / ERASURE_OVERDUE;
optional alerts only when enabled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from handlers.alerts import alerts_due
from schemas.codes import AlertType
from schemas.enums import Actor, Basis, Category, Engagement
from schemas.events import BaseEvent
from schemas.outputs import Alert
from schemas.person import Person
from schemas.purpose import Purpose
from tests.unit import builders as b
from tests.unit.builders import EMAIL, PET, PET_LI, SMS

pytestmark = pytest.mark.unit

CONSENT_AT = "2025-01-10T10:00:00Z"
HORIZON = b.t("2027-01-10T10:00:00Z")  # capture + 24 months
DUE = {
    30: HORIZON - timedelta(days=30),
    7: HORIZON - timedelta(days=7),
    1: HORIZON - timedelta(days=1),
}


def _alerts(
    events: Sequence[BaseEvent],
    start: str,
    end: str,
    p: Person | None = None,
    purposes: list[Purpose] | None = None,
    **rules: Any,
) -> list[Alert]:
    pol = b.policy(purposes, **rules)
    state = b.fold(pol, p or b.person(), events)
    return alerts_due(state, pol, b.t(start), b.t(end))


def _expiring(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.type is AlertType.CONSENT_EXPIRING]


BASE: list[BaseEvent] = [b.consent(PET, EMAIL, CONSENT_AT)]


# --- CONSENT_EXPIRING --------------------------------------------------------------------


def test_expiring_at_each_lead_with_decay_cause() -> None:
    found = _expiring(_alerts(BASE, "2026-12-01", "2027-01-10"))
    assert [(a.lead_days, a.due_at) for a in found] == [(30, DUE[30]), (7, DUE[7]), (1, DUE[1])]
    for alert in found:
        assert (alert.purpose_id, alert.channel, alert.horizon) == (PET, EMAIL, HORIZON)
        assert alert.cause == "DECAY"
    assert len({a.alert_key for a in found}) == 3


def test_expiring_window_is_half_open() -> None:
    assert not _expiring(_alerts(BASE, "2026-12-01", str(DUE[30])))
    only = _expiring(_alerts(BASE, str(DUE[30]), str(DUE[30] + timedelta(microseconds=1))))
    assert [a.lead_days for a in only] == [30]


def test_expiring_not_emitted_far_from_horizon() -> None:
    assert not _expiring(_alerts(BASE, "2026-01-01", "2026-12-01"))


def test_expiring_emitted_once_after_alert_emitted_event() -> None:
    first = _expiring(_alerts(BASE, "2026-12-01", "2027-01-10"))
    key = first[0].alert_key
    again = _expiring(
        _alerts([*BASE, b.alert_emitted(key, "2026-12-11T10:00Z")], "2026-12-01", "2027-01-10")
    )
    assert key not in {a.alert_key for a in again}
    assert [a.lead_days for a in again] == [7, 1]


def test_expiring_cause_effective_to() -> None:
    events: list[BaseEvent] = [b.consent(PET, EMAIL, CONSENT_AT, effective_to="2026-06-30T00:00Z")]
    found = _expiring(_alerts(events, "2026-05-01", "2026-06-30"))
    assert [a.lead_days for a in found] == [30, 7, 1]
    assert {a.cause for a in found} == {"EFFECTIVE_TO"}
    assert {a.horizon for a in found} == {b.t("2026-06-30T00:00Z")}


def test_custom_leads() -> None:
    found = _expiring(_alerts(BASE, "2026-12-01", "2027-01-10", alert_lead_days=(14,)))
    assert [(a.lead_days, a.due_at) for a in found] == [(14, HORIZON - timedelta(days=14))]


def test_expiring_recomputed_when_anchor_moves() -> None:
    clicked = [*BASE, b.engage(Engagement.CLICK, "2026-11-20T09:00Z", PET, EMAIL)]
    assert not _expiring(_alerts(clicked, "2026-12-01", "2027-01-10"))
    later = _expiring(_alerts(clicked, "2028-10-01", "2028-11-20"))
    assert {a.horizon for a in later} == {b.t("2028-11-20T09:00Z")}
    opened = [*BASE, b.engage(Engagement.OPEN, "2026-11-20T09:00Z", PET, EMAIL)]
    assert len(_expiring(_alerts(opened, "2026-12-01", "2027-01-10"))) == 3


def test_expiring_moves_with_reconfirmation() -> None:
    events = [*BASE, b.reconfirm(PET, EMAIL, "2026-11-01T00:00Z")]
    assert not _expiring(_alerts(events, "2026-12-01", "2027-01-10"))


@pytest.mark.parametrize(
    "blocker",
    [
        b.dm_objection("2026-11-01"),
        b.suppression("2026-11-01"),
        b.restrict("2026-11-01"),
        b.unsubscribe(EMAIL, "2026-11-01"),
    ],
    ids=["objected", "suppressed", "restricted", "channel-opt-out"],
)
def test_no_expiring_alert_for_blocked_cells(blocker: BaseEvent) -> None:
    assert not _expiring(_alerts([*BASE, blocker], "2026-12-01", "2027-01-10"))


def test_no_expiring_alert_after_erasure() -> None:
    events = [*BASE, b.erasure("2026-11-01"), b.executed("2026-11-05")]
    assert not _expiring(_alerts(events, "2026-12-01", "2027-01-10"))


def test_no_expiring_alert_for_withdrawn_consent() -> None:
    events = [*BASE, b.withdraw(PET, EMAIL, "2026-11-01")]
    assert not _expiring(_alerts(events, "2026-12-01", "2027-01-10"))


def test_expiring_per_channel() -> None:
    events = [*BASE, b.consent(PET, SMS, "2025-02-10T10:00Z")]
    found = _expiring(_alerts(events, "2026-12-01", "2027-01-10"))
    assert {a.channel for a in found} == {EMAIL}
    sms = [a for a in _expiring(_alerts(events, "2027-01-11", "2027-02-10")) if a.channel is SMS]
    assert {a.lead_days for a in sms} == {30, 7, 1}
    assert {a.horizon for a in sms} == {b.t("2027-02-10T10:00Z")}


def test_expiring_lead_already_passed_is_caught_up_at_window_start() -> None:
    found = _expiring(_alerts(BASE, "2027-01-05T00:00Z", "2027-01-10"))
    assert {(a.lead_days, a.due_at) for a in found} == {(30, DUE[30]), (7, DUE[7]), (1, DUE[1])}
    assert not _expiring(_alerts(BASE, str(HORIZON), "2027-02-01"))


# --- RECONFIRMATION_DUE ------------------------------------------------------------------


def _child(jurisdiction: str, birth: str) -> Person:
    return b.person(jurisdiction, birth_date=b.d(birth))


PARENTAL: list[BaseEvent] = [
    b.consent(PET, EMAIL, "2024-01-10", actor=Actor.PARENT, parental_verification_ref="V-9")
]


@pytest.mark.parametrize(
    ("jurisdiction", "birth", "due"),
    [
        ("UK", "2013-06-15", "2026-06-15T00:00+01:00"),
        ("FR", "2011-06-15", "2026-06-15T00:00+02:00"),
        ("DE", "2010-06-15", "2026-06-15T00:00+02:00"),
    ],
)
def test_reconfirmation_due_at_threshold_birthday(jurisdiction: str, birth: str, due: str) -> None:
    p = _child(jurisdiction, birth)
    found = [
        a
        for a in _alerts(PARENTAL, "2026-06-01", "2026-07-01", p=p)
        if a.type is AlertType.RECONFIRMATION_DUE
    ]
    assert [(a.due_at, a.purpose_id, a.channel) for a in found] == [(b.t(due), PET, EMAIL)]
    before = _alerts(PARENTAL, "2026-06-01", due, p=p)
    assert not [a for a in before if a.type is AlertType.RECONFIRMATION_DUE]


def test_reconfirmation_feb29_birthday_rule() -> None:
    p = _child("UK", "2012-02-29")  # 13 in 2025, not a leap year
    march = _alerts(PARENTAL, "2025-02-01", "2025-04-01", p=p)
    feb28 = _alerts(PARENTAL, "2025-02-01", "2025-04-01", p=p, feb29_birthday_rule="FEB_28")
    due_march = [a.due_at for a in march if a.type is AlertType.RECONFIRMATION_DUE]
    due_feb = [a.due_at for a in feb28 if a.type is AlertType.RECONFIRMATION_DUE]
    assert due_march == [b.t("2025-03-01T00:00Z")]
    assert due_feb == [b.t("2025-02-28T00:00Z")]


def test_no_reconfirmation_without_parental_consent() -> None:
    own: list[BaseEvent] = [b.consent(PET, EMAIL, "2026-01-10")]
    alerts = _alerts(own, "2026-06-01", "2026-07-01", p=_child("UK", "2013-06-15"))
    assert not [a for a in alerts if a.type is AlertType.RECONFIRMATION_DUE]


# --- ERASURE_DEADLINE / ERASURE_OVERDUE --------------------------------------------------


def _erasure_alerts(
    events: Sequence[BaseEvent], start: str, end: str
) -> list[tuple[AlertType, str]]:
    kinds = {AlertType.ERASURE_DEADLINE, AlertType.ERASURE_OVERDUE}
    return [(a.type, a.due_at.isoformat()) for a in _alerts(events, start, end) if a.type in kinds]


REQUEST: list[BaseEvent] = [b.erasure("2025-09-03T10:00Z")]  # due 2025-10-03


def test_erasure_deadline_seven_days_before_due() -> None:
    found = _erasure_alerts(REQUEST, "2025-09-20", "2025-09-30")
    assert found == [(AlertType.ERASURE_DEADLINE, "2025-09-26T00:00:00+01:00")]
    assert not _erasure_alerts(REQUEST, "2025-09-20", "2025-09-25T23:00Z")


def test_erasure_overdue_from_day_after_due() -> None:
    before = _erasure_alerts(REQUEST, "2025-10-01", "2025-10-03T23:00Z")
    assert [kind for kind, _ in before] == [AlertType.ERASURE_DEADLINE]
    found = _erasure_alerts(REQUEST, "2025-10-04", "2025-10-10")
    assert found == [(AlertType.ERASURE_OVERDUE, "2025-10-04T00:00:00+01:00")]


def test_no_erasure_alerts_once_executed() -> None:
    events = [*REQUEST, b.executed("2025-09-20")]
    assert not _erasure_alerts(events, "2025-09-20", "2025-10-10")


def test_erasure_alerts_follow_extension_and_too_late_notice() -> None:
    extended = [*REQUEST, b.extension("2025-09-30")]
    assert _erasure_alerts(extended, "2025-10-01", "2025-10-10") == []
    assert _erasure_alerts(extended, "2025-11-20", "2025-12-01") == [
        (AlertType.ERASURE_DEADLINE, "2025-11-26T00:00:00+00:00")
    ]
    too_late = [*REQUEST, b.extension("2025-10-06")]
    assert _erasure_alerts(too_late, "2025-10-04", "2025-10-10") == [
        (AlertType.ERASURE_OVERDUE, "2025-10-04T00:00:00+01:00")
    ]


def test_erasure_alerts_deduplicated() -> None:
    first = _alerts(REQUEST, "2025-09-20", "2025-09-30")
    events = [*REQUEST, b.alert_emitted(first[0].alert_key, "2025-09-26")]
    assert not _erasure_alerts(events, "2025-09-20", "2025-09-30")


# --- optional alerts ---------------------------------------------------------------------


def test_contract_ending_only_when_enabled() -> None:
    p = b.person(contracts=(b.contract("2025-01-01", "2026-12-31T00:00Z"),))
    off = _alerts([], "2026-11-01", "2026-12-31", p=p)
    assert not [a for a in off if a.type is AlertType.CONTRACT_ENDING]
    on = _alerts(
        [], "2026-11-01", "2026-12-31", p=p, optional_alerts=frozenset({"CONTRACT_ENDING"})
    )
    ending = [a for a in on if a.type is AlertType.CONTRACT_ENDING]
    assert [(a.due_at, a.horizon) for a in ending] == [
        (b.t("2026-12-01T00:00Z"), b.t("2026-12-31T00:00Z"))
    ]


def test_lia_review_due_only_when_enabled() -> None:
    purposes = [
        b.purpose(
            PET_LI,
            basis=Basis.LEGITIMATE_INTERESTS,
            lia_review_date=b.t("2026-12-31T00:00Z"),
            **b.li_fields(),
        )
    ]
    off = _alerts([], "2026-11-01", "2026-12-31", purposes=purposes)
    assert not [a for a in off if a.type is AlertType.LIA_REVIEW_DUE]
    on = _alerts(
        [],
        "2026-11-01",
        "2026-12-31",
        purposes=purposes,
        optional_alerts=frozenset({"LIA_REVIEW_DUE"}),
    )
    assert [a.due_at for a in on if a.type is AlertType.LIA_REVIEW_DUE] == [
        b.t("2026-12-01T00:00Z")
    ]


def test_soft_opt_in_ending_only_when_enabled() -> None:
    p = b.person(
        contracts=(b.contract("2021-01-01", "2022-06-01"),), purchases=(b.purchase("2025-01-01"),)
    )
    events = b.notices(PET_LI)
    off = _alerts(events, "2026-12-01", "2026-12-31", p=p)
    assert not [a for a in off if a.type is AlertType.SOFT_OPT_IN_ENDING]
    on = _alerts(
        events, "2026-12-01", "2026-12-31", p=p, optional_alerts=frozenset({"SOFT_OPT_IN_ENDING"})
    )
    ending = [a for a in on if a.type is AlertType.SOFT_OPT_IN_ENDING]
    assert {a.horizon for a in ending} == {b.t("2027-01-01")}
    assert {a.purpose_id for a in ending} == {PET_LI}


def test_erasure_deadline_emitted_when_window_starts_inside_the_warning_period() -> None:
    # due 2025-10-03; "due - 7 days <= today and not completed" holds on 29 Sep
    found = _erasure_alerts(REQUEST, "2025-09-29", "2025-09-30")
    assert found == [(AlertType.ERASURE_DEADLINE, "2025-09-26T00:00:00+01:00")]
    assert _erasure_alerts(REQUEST, "2025-10-04", "2025-10-05") == [
        (AlertType.ERASURE_OVERDUE, "2025-10-04T00:00:00+01:00")
    ]


def test_expiring_alert_not_emitted_for_a_horizon_superseded_inside_the_window() -> None:
    # the click on 20 Dec moves the horizon to 2028-12-20: the 7- and 1-day leads of the old
    # horizon (3 and 9 Jan 2027) are no longer due
    clicked = [*BASE, b.engage(Engagement.CLICK, "2026-12-20T09:00Z", PET, EMAIL)]
    found = _expiring(_alerts(clicked, "2026-12-01", "2027-01-10"))
    assert [(a.lead_days, a.horizon) for a in found] == [(30, HORIZON)]


def test_expiring_alert_for_channel_less_cookie_consent() -> None:
    cookies = b.purpose("cookies", Category.NON_MARKETING, Basis.CONSENT, cookie_like=True)
    events: list[BaseEvent] = [b.consent("cookies", None, "2026-01-10T10:00Z")]
    found = _expiring(_alerts(events, "2026-06-01", "2026-07-10", purposes=[cookies]))
    assert [(a.lead_days, a.channel, a.cause) for a in found] == [
        (30, None, "DECAY"),
        (7, None, "DECAY"),
        (1, None, "DECAY"),
    ]
    assert {a.horizon for a in found} == {b.t("2026-07-10T10:00Z")}


def test_no_reconfirmation_for_a_withdrawn_parental_consent() -> None:
    events = [*PARENTAL, b.withdraw(PET, EMAIL, "2025-06-01")]
    alerts = _alerts(events, "2026-06-01", "2026-07-01", p=_child("UK", "2013-06-15"))
    assert not [a for a in alerts if a.type is AlertType.RECONFIRMATION_DUE]


def test_lia_review_due_from_configured_review_cycle() -> None:
    purposes = [b.purpose(PET_LI, basis=Basis.LEGITIMATE_INTERESTS, **b.li_fields("2025-01-01"))]
    on = _alerts(
        [],
        "2025-11-01",
        "2026-01-01",
        purposes=purposes,
        optional_alerts=frozenset({"LIA_REVIEW_DUE"}),
        lia_review_months=12,
    )
    due = [(a.due_at, a.horizon) for a in on if a.type is AlertType.LIA_REVIEW_DUE]
    assert due == [(b.t("2025-12-02"), b.t("2026-01-01"))]
