"""R18 erasure planning: due dates, roll-forward, identity clock, extensions, per-category
ERASE/RETAIN, keyed suppression hashes and Art. 19 recipients (gdpr-rules.md §4, §7.1)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from handlers.calendar import add_months_date, roll_to_working_day
from handlers.erasure import plan_erasure
from handlers.holidays import national_holidays
from handlers.identifiers import keyed_hash, normalise
from schemas.codes import AuditType, Rejection
from schemas.enums import Basis, Category, ContactPointKind
from schemas.events import BaseEvent
from schemas.outputs import AuditRecorded, CategoryDecision, CommandRejected, ErasurePlan
from schemas.person import Person
from tests.unit import builders as b
from tests.unit.builders import ADMIN, PERSON_EMAIL, PERSON_PHONE

pytestmark = pytest.mark.unit

KEY = b"test-pepper-1"


def _plan(
    events: Sequence[BaseEvent],
    at: str = "2030-06-01",
    p: Person | None = None,
    key: bytes | None = KEY,
    **rules: Any,
) -> ErasurePlan:
    pol = b.policy(**rules)
    state = b.fold(pol, p or b.person(), events)
    return plan_erasure(state, pol, "req-1", b.t(at), key)


def _category(plan: ErasurePlan, name: str) -> CategoryDecision:
    return next(c for c in plan.categories if c.category == name)


# --- one month, month-end clamp, roll-forward --------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-09-03", "2026-10-03"),
        ("2026-01-31", "2026-02-28"),
        ("2028-01-31", "2028-02-29"),
        ("2026-03-31", "2026-04-30"),
        ("2026-12-15", "2027-01-15"),
    ],
)
def test_add_one_month(start: str, due: str) -> None:
    assert add_months_date(b.d(start), 1) == b.d(due)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2025-09-03T10:00:00Z", "2025-10-03"),  # Friday
        ("2030-01-31T10:00:00Z", "2030-02-28"),  # Thursday
        ("2028-01-31T10:00:00Z", "2028-02-29"),  # leap year, Tuesday
        ("2026-01-31T10:00:00Z", "2026-03-02"),  # 28 Feb 2026 is a Saturday
        ("2026-09-03T10:00:00Z", "2026-10-05"),  # 3 Oct 2026 is a Saturday
        ("2026-01-03T10:00:00Z", "2026-02-03"),  # received on a Saturday: the clock still runs
    ],
)
def test_due_date_uk(received: str, due: str) -> None:
    plan = _plan([b.erasure(received)])
    assert plan.due == b.d(due)
    assert plan.status == "OPEN"
    assert plan.overdue_from == date.fromordinal(b.d(due).toordinal() + 1)


def test_clock_starts_on_the_local_receipt_date() -> None:
    # 23:30Z on 2 Sep is 00:30 on 3 Sep in London (BST)
    plan = _plan([b.erasure("2025-09-02T23:30:00Z")])
    assert plan.clock_start == b.d("2025-09-03")
    assert plan.due == b.d("2025-10-03")


@pytest.mark.parametrize(
    ("jurisdiction", "received", "due"),
    [
        ("UK", "2026-11-28T10:00:00Z", "2026-12-29"),  # 28 Dec 2026: Boxing Day substitute
        ("UK", "2026-11-25T10:00:00Z", "2026-12-29"),  # 25 Christmas, weekend, 28 substitute
        ("FR", "2026-11-25T10:00:00Z", "2026-12-28"),  # no substitute days in France
        ("UK", "2027-11-27T10:00:00Z", "2027-12-29"),  # 27 and 28 Dec 2027 substitutes
        ("FR", "2026-04-14T10:00:00Z", "2026-05-15"),  # Ascension 14 May 2026
        ("FR", "2026-04-25T10:00:00Z", "2026-05-26"),  # Whit Monday 25 May 2026
        ("UK", "2026-04-25T10:00:00Z", "2026-05-26"),  # Spring bank holiday 25 May 2026
        ("FR", "2026-06-14T10:00:00Z", "2026-07-15"),  # 14 July
        ("UK", "2026-06-14T10:00:00Z", "2026-07-14"),  # not a UK holiday
    ],
)
def test_due_date_rolls_over_public_holidays(jurisdiction: str, received: str, due: str) -> None:
    plan = _plan([b.erasure(received)], p=b.person(jurisdiction))
    assert plan.due == b.d(due)


def test_controller_calendar_overrides_person_jurisdiction() -> None:
    plan = _plan(
        [b.erasure("2026-06-14T10:00:00Z")], p=b.person("FR"), controller_jurisdiction="UK"
    )
    assert plan.due == b.d("2026-07-14")


def test_extra_configured_holiday() -> None:
    plan = _plan([b.erasure("2025-09-03T10:00:00Z")], public_holidays={"UK": (date(2025, 10, 3),)})
    assert plan.due == b.d("2025-10-06")


@pytest.mark.parametrize(
    ("jurisdiction", "day", "holiday"),
    [
        ("UK", "2026-12-25", True),
        ("UK", "2026-12-28", True),
        ("UK", "2026-12-26", False),  # Saturday, replaced by the 28th
        ("UK", "2027-12-27", True),
        ("UK", "2027-12-28", True),
        ("UK", "2028-01-03", True),  # New Year's Day 2028 is a Saturday
        ("UK", "2027-03-26", True),  # Good Friday
        ("UK", "2030-04-22", True),  # Easter Monday
        ("UK", "2026-05-04", True),  # Early May
        ("UK", "2029-05-28", True),  # Spring
        ("UK", "2026-08-31", True),  # Summer
        ("UK", "2026-07-14", False),
        ("FR", "2026-05-14", True),  # Ascension
        ("FR", "2027-05-06", True),  # Ascension
        ("FR", "2026-05-25", True),  # Whit Monday
        ("FR", "2028-06-05", True),  # Whit Monday
        ("FR", "2029-04-02", True),  # Easter Monday
        ("FR", "2030-05-08", True),
        ("FR", "2027-07-14", True),
        ("FR", "2026-12-26", False),
        ("FR", "2027-12-27", False),
        ("FR", "2026-04-03", False),  # Good Friday is not a national holiday in France
    ],
)
def test_holiday_calendars(jurisdiction: str, day: str, holiday: bool) -> None:
    d = b.d(day)
    assert (d in national_holidays(jurisdiction, d.year)) is holiday


@pytest.mark.parametrize("year", range(2026, 2031))
def test_holiday_counts(year: int) -> None:
    assert len(national_holidays("UK", year)) == 8
    assert len(national_holidays("FR", year)) == 11


def test_roll_to_working_day_skips_weekend_then_holiday() -> None:
    assert roll_to_working_day(b.d("2026-12-26"), "UK", frozenset()) == b.d("2026-12-29")
    assert roll_to_working_day(b.d("2026-12-24"), "UK", frozenset()) == b.d("2026-12-24")


# --- identity verification ---------------------------------------------------------------


def test_identity_requested_stops_the_clock_until_received() -> None:
    events: list[BaseEvent] = [
        b.erasure("2026-03-02T10:00Z"),
        b.identity_requested("2026-03-03T10:00Z"),
    ]
    waiting = _plan(events, at="2026-03-10")
    assert (waiting.status, waiting.clock_start, waiting.due) == ("AWAITING_IDENTITY", None, None)
    received = _plan([*events, b.identity_received("2026-03-20T10:00Z")], at="2026-03-25")
    assert received.clock_start == b.d("2026-03-20")
    assert received.due == b.d("2026-04-20")


def test_identity_clock_not_paused_when_configured_off() -> None:
    events: list[BaseEvent] = [
        b.erasure("2026-03-02T10:00Z"),
        b.identity_requested("2026-03-03T10:00Z"),
        b.identity_received("2026-03-20T10:00Z"),
    ]
    plan = _plan(events, erasure_clock_pause_on_verification={"*": False})
    assert plan.clock_start == b.d("2026-03-02")
    assert plan.due == b.d("2026-04-02")


# --- extension ---------------------------------------------------------------------------


def test_extension_before_due_gives_three_months_from_start() -> None:
    events = [b.erasure("2025-09-03T10:00Z"), b.extension("2025-10-02T10:00Z")]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert not [e for e in effects if isinstance(e, CommandRejected)]
    plan = plan_erasure(state, pol, "req-1", b.t("2025-10-10"), KEY)
    assert plan.extended
    assert plan.due == b.d("2025-12-03")


def test_extension_on_the_due_date_is_within_the_first_month() -> None:
    plan = _plan([b.erasure("2025-09-03T10:00Z"), b.extension("2025-10-03T16:00Z")])
    assert plan.extended


def test_extension_after_due_is_rejected_and_due_stays() -> None:
    events = [b.erasure("2025-09-03T10:00Z"), b.extension("2025-10-04T10:00Z")]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    rejected = [e.reason for e in effects if isinstance(e, CommandRejected)]
    assert rejected == [Rejection.EXTENSION_TOO_LATE]
    audits = [e.event.event_type for e in effects if isinstance(e, AuditRecorded)]
    assert AuditType.ERASURE_EXTENSION_REJECTED in audits
    assert AuditType.ERASURE_EXTENDED not in audits
    plan = plan_erasure(state, pol, "req-1", b.t("2025-10-10"), KEY)
    assert not plan.extended
    assert plan.due == b.d("2025-10-03")
    assert plan.overdue_from == b.d("2025-10-04")


def test_second_extension_and_unknown_request_are_rejected() -> None:
    events = [
        b.erasure("2025-09-03T10:00Z"),
        b.extension("2025-09-10T10:00Z"),
        b.extension("2025-09-11T10:00Z"),
        b.extension("2025-09-12T10:00Z", request_id="nope"),
    ]
    _, effects = b.fold_effects(b.policy(), b.person(), events)
    rejected = [e.reason for e in effects if isinstance(e, CommandRejected)]
    assert rejected == [Rejection.ERASURE_ALREADY_EXTENDED, Rejection.ERASURE_REQUEST_UNKNOWN]


# --- per-category decisions --------------------------------------------------------------


def test_marketing_categories_always_erased() -> None:
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05")
    for name in ("MARKETING_CONSENTS", "MARKETING_HISTORY", "ANALYTICS_PROFILE", "PROSPECT_DATA"):
        assert _category(plan, name).decision == "ERASE"


def test_fr_accounting_retained_ten_years_from_end_of_year() -> None:
    p = b.person("FR", contracts=(b.contract("2020-01-01", "2024-06-30T12:00Z"),))
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05", p=p)
    accounting = _category(plan, "ACCOUNTING_RECORDS")
    assert accounting.decision == "RETAIN"
    assert accounting.ground is not None
    assert "17(3)(b)" in accounting.ground
    assert accounting.retain_until == b.t("2035-01-01T00:00+01:00")
    contract_data = _category(plan, "CONTRACT_DATA")  # FR: 5 years from contract end
    assert contract_data.decision == "RETAIN"
    assert contract_data.retain_until == b.t("2029-06-30T00:00+02:00")
    after = _plan([b.erasure("2034-12-01")], at="2034-12-31T23:00Z", p=p)
    assert _category(after, "ACCOUNTING_RECORDS").decision == "ERASE"


def test_legal_hold_retains_until_released_or_expired() -> None:
    held = [b.erasure("2026-03-02"), b.hold("2026-03-01", ("MARKETING_HISTORY",), "2027-01-01")]
    decision = _category(_plan(held, at="2026-03-05"), "MARKETING_HISTORY")
    assert decision.decision == "RETAIN"
    assert decision.legal_ref == "CLAIM-42"
    assert decision.ground is not None
    assert "17(3)(e)" in decision.ground
    assert decision.retain_until == b.t("2027-01-01")
    expired = _category(_plan(held, at="2027-01-01"), "MARKETING_HISTORY")
    assert expired.decision == "ERASE"
    released = [*held, b.hold_released("2026-04-01")]
    assert _category(_plan(released, at="2026-04-01"), "MARKETING_HISTORY").decision == "ERASE"
    assert _category(_plan(released, at="2026-03-31"), "MARKETING_HISTORY").decision == "RETAIN"


def test_active_contract_keeps_its_data() -> None:
    uk_admin = b.purpose(
        ADMIN,
        Category.NON_MARKETING,
        Basis.CONTRACT,
        product_family="pet",
        data_categories=("POLICY_FILE",),
    )
    pol_purposes = [uk_admin]
    running = b.person("UK", contracts=(b.contract("2025-01-01", "2026-12-31T00:00Z"),))
    pol = b.policy(pol_purposes)
    state = b.fold(pol, running, [b.erasure("2026-03-02")])
    decision = _category(plan_erasure(state, pol, "req-1", b.t("2026-03-05"), KEY), "POLICY_FILE")
    assert decision.decision == "RETAIN"
    assert decision.retain_until == b.t("2027-01-30T00:00Z")  # end + 30 days grace
    later = plan_erasure(state, pol, "req-1", b.t("2027-01-30T00:00Z"), KEY)
    assert _category(later, "POLICY_FILE").decision == "ERASE"


def test_execution_records_erased_and_retained_categories() -> None:
    p = b.person("FR", contracts=(b.contract("2020-01-01", "2024-06-30T12:00Z"),))
    events = [b.erasure("2026-03-02"), b.executed("2026-03-10")]
    pol = b.policy()
    state = b.fold(pol, p, events)
    case = state.erasures["req-1"]
    assert "MARKETING_CONSENTS" in case.erased_categories
    assert "ACCOUNTING_RECORDS" in case.retained_categories
    plan = plan_erasure(state, pol, "req-1", b.t("2026-03-11"), KEY)
    assert plan.status == "EXECUTED"
    assert plan.overdue_from is None


# --- suppression hashes and recipients ---------------------------------------------------


def _hashes(p: Person, key: bytes | None = KEY) -> tuple[str, ...]:
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05", p=p, key=key)
    assert plan.suppression is not None
    return plan.suppression.identifier_hashes


def _email_person(value: str) -> Person:
    return b.person(contact_points=(b.contact(ContactPointKind.EMAIL, value),))


def test_suppression_hash_is_keyed_and_normalised() -> None:
    base = _hashes(_email_person("Alex.Doe@Example.org"))
    assert base == _hashes(_email_person("  alex.doe@EXAMPLE.ORG "))
    assert base != _hashes(_email_person("alex.doe@example.org"), key=b"another-pepper")
    assert base != _hashes(_email_person("sam@example.org"))
    assert base == (
        keyed_hash(
            KEY, ContactPointKind.EMAIL, normalise(ContactPointKind.EMAIL, PERSON_EMAIL, "UK")
        ),
    )


def test_phone_normalised_to_e164() -> None:
    national = _hashes(
        b.person(contact_points=(b.contact(ContactPointKind.PHONE, "07700 900123"),))
    )
    e164 = _hashes(b.person(contact_points=(b.contact(ContactPointKind.PHONE, "+447700900123"),)))
    assert national == e164


def test_plan_contains_no_identifier() -> None:
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05")
    text = json.dumps(plan.model_dump(mode="json")).lower()
    assert plan.suppression is not None
    assert len(plan.suppression.identifier_hashes) == 4
    for value in (PERSON_EMAIL, "alex.doe", PERSON_PHONE, "7700900123", "900123", "high street"):
        assert value.lower() not in text
    assert plan.suppression.scope.value == "DM_ALL"


def test_no_key_means_no_hashes_and_a_warning() -> None:
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05", key=None)
    assert plan.suppression is None
    assert plan.warnings


def test_recipients_and_marketing_purposes_listed() -> None:
    p = b.person(recipients=b.recipients("mailing-house-1", "reinsurer-2"))
    plan = _plan([b.erasure("2026-03-02")], at="2026-03-05", p=p)
    assert plan.recipients_to_notify == ("mailing-house-1", "reinsurer-2")
    assert set(plan.marketing_purposes_blocked) == {
        b.CATEGORY,
        b.PET,
        b.CAR,
        b.PET_LI,
    }


def test_de_phone_consent_proof_kept_five_years_after_last_use() -> None:
    # UWG §7a: proof kept 5 years from the grant and from each use (a call made under it)
    events: list[BaseEvent] = [
        b.consent(b.PET, b.PHONE, "2024-01-10T10:00+01:00"),
        b.call("2026-02-01T11:00+01:00"),
        b.erasure("2026-03-02"),
    ]
    plan = _plan(events, at="2026-03-05", p=b.person("DE"))
    proof = _category(plan, "PHONE_CONSENT_PROOF")
    assert proof.decision == "RETAIN"
    assert proof.retain_until == b.t("2031-02-01T00:00+01:00")


def test_de_phone_consent_proof_counts_phone_consents_only() -> None:
    # §7a is about telephone advertising: an e-mail consent is no phone-consent proof, and a
    # later e-mail consent does not move the proof's end
    only_email: list[BaseEvent] = [
        b.consent(b.PET, b.EMAIL, "2025-06-01T10:00+02:00"),
        b.erasure("2026-03-02"),
    ]
    plan = _plan(only_email, at="2026-03-05", p=b.person("DE"))
    assert _category(plan, "PHONE_CONSENT_PROOF").decision != "RETAIN"
    both: list[BaseEvent] = [
        b.consent(b.PET, b.PHONE, "2024-01-10T10:00+01:00"),
        b.consent(b.CAR, b.EMAIL, "2025-06-01T10:00+02:00"),
        b.erasure("2026-03-02"),
    ]
    proof = _category(_plan(both, at="2026-03-05", p=b.person("DE")), "PHONE_CONSENT_PROOF")
    assert proof.decision == "RETAIN"
    assert proof.retain_until == b.t("2029-01-10T00:00+01:00")


def test_extension_notice_while_waiting_for_identity_is_accepted() -> None:
    events = [
        b.erasure("2026-03-02T10:00Z"),
        b.identity_requested("2026-03-03T10:00Z"),
        b.extension("2026-03-05T10:00Z"),
        b.identity_received("2026-03-20T10:00Z"),
    ]
    pol = b.policy()
    state, effects = b.fold_effects(pol, b.person(), events)
    assert not [e for e in effects if isinstance(e, CommandRejected)]
    plan = plan_erasure(state, pol, "req-1", b.t("2026-03-25"), KEY)
    assert plan.extended
    assert plan.due == b.d("2026-06-22")  # 20 June 2026 is a Saturday
