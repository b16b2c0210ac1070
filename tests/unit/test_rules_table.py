"""The §3.7 decision table, one case per row (T1-T25): reason, rule and row of the Decision.

Each case is the smallest fact set that reaches the row; rows above it are made to pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from schemas.codes import Reason
from schemas.enums import (
    Basis,
    Category,
    Channel,
    ContactPointKind,
    DncRegister,
    ObjectionStatus,
    ObtainedVia,
    SubscriberType,
)
from schemas.events import BaseEvent
from schemas.person import Person
from schemas.purpose import Purpose
from tests.unit import builders as b
from tests.unit.builders import (
    ADMIN,
    EMAIL,
    FRAUD,
    PET,
    PET_LI,
    PHONE,
    POST,
    ROBOCALL,
    SMS,
)

pytestmark = pytest.mark.unit

DAY = "2026-06-02T12:00:00+02:00"  # Tuesday, 12:00 Paris / 11:00 London


@dataclass(frozen=True)
class Case:
    row: str
    cell: tuple[str, Channel | None]
    expected: tuple[bool, Reason, str]
    events: Callable[[], list[BaseEvent]] = list
    person: Callable[[], Person] = b.person
    purposes: Callable[[], list[Purpose]] | None = None
    at: str = DAY
    rules: dict[str, Any] = field(default_factory=dict)


def _customer(jurisdiction: str = "UK", **fields: Any) -> Person:
    fields.setdefault("contracts", (b.contract("2025-01-01"),))
    return b.person(jurisdiction, **fields)


def _li_notice() -> list[BaseEvent]:
    return [b.notice(PET_LI)]


def _consent(purpose_id: str, channel: Channel, **fields: Any) -> Callable[[], list[BaseEvent]]:
    return lambda: [b.notice(purpose_id), b.consent(purpose_id, channel, "2026-01-05", **fields)]


def _special() -> list[Purpose]:
    return [b.purpose("health-mkt", special_category=True)]


def _bad_basis() -> list[Purpose]:
    return [b.purpose("mkt", basis=Basis.CONTRACT)]


def _no_lia() -> list[Purpose]:
    return [b.purpose(PET_LI, basis=Basis.LEGITIMATE_INTERESTS, product_family="pet")]


def _fr_professional() -> Person:
    work = b.contact(
        ContactPointKind.EMAIL, "j@entreprise.fr", via=ObtainedVia.OTHER, professional=True
    )
    return b.person("FR", contact_points=(work,))


def _role(relevant: bool) -> Callable[[], list[Purpose]]:
    return lambda: [
        b.purpose(
            PET_LI,
            basis=Basis.LEGITIMATE_INTERESTS,
            product_family="pet",
            relevant_to_professional_role=relevant,
            **b.li_fields(),
        )
    ]


CASES = [
    Case(
        "T1",
        (PET, EMAIL),
        (False, Reason.ERASED, "R1"),
        lambda: [b.erasure("2026-03-01"), b.executed("2026-03-02")],
    ),
    Case("T2", (PET, EMAIL), (False, Reason.RESTRICTED, "R2"), lambda: [b.restrict("2026-03-01")]),
    Case(
        "T3",
        (PET, EMAIL),
        (False, Reason.DM_OBJECTION, "R4"),
        lambda: [b.dm_objection("2026-03-01")],
    ),
    Case(
        "T3", (PET, EMAIL), (False, Reason.SUPPRESSED, "R4"), lambda: [b.suppression("2026-03-01")]
    ),
    Case(
        "T4",
        (PET, EMAIL),
        (False, Reason.CHANNEL_OPT_OUT, "R4b"),
        lambda: [b.unsubscribe(EMAIL, "2026-03-01")],
    ),
    Case("T4b", (PET_LI, POST), (False, Reason.NO_NOTICE, "R3")),
    Case(
        "T5",
        ("health-mkt", EMAIL),
        (False, Reason.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED, "R9"),
        _consent("health-mkt", EMAIL),
        purposes=_special,
    ),
    Case(
        "T6",
        ("mkt", POST),
        (False, Reason.BASIS_NOT_ALLOWED_FOR_MARKETING, "R5"),
        lambda: [b.notice("mkt")],
        purposes=_bad_basis,
    ),
    Case("T7", (PET, EMAIL), (False, Reason.CONSENT_NOT_OPT_IN, "R6"), lambda: [b.notice(PET)]),
    Case("T8", (PET_LI, POST), (False, Reason.LIA_MISSING, "R7"), _li_notice, purposes=_no_lia),
    Case(
        "T9",
        (PET_LI, ROBOCALL),
        (False, Reason.EPRIVACY_CONSENT_REQUIRED, "R12"),
        _li_notice,
        _customer,
    ),
    Case("T10", (PET, SMS), (True, Reason.CONSENT_ACTIVE, "R12"), _consent(PET, SMS)),
    Case(
        "T11",
        (PET_LI, EMAIL),
        (True, Reason.B2B_CORPORATE_LI, "R12"),
        _li_notice,
        lambda: b.person("UK", subscriber_type=SubscriberType.CORPORATE),
    ),
    Case(
        "T12",
        (PET_LI, EMAIL),
        (True, Reason.B2B_PROFESSIONAL_LI, "R12"),
        _li_notice,
        _fr_professional,
        _role(True),
    ),
    Case(
        "T13",
        (PET_LI, EMAIL),
        (False, Reason.B2B_NOT_RELEVANT_TO_ROLE, "R12"),
        _li_notice,
        _fr_professional,
        _role(False),
    ),
    Case("T14", (PET_LI, EMAIL), (True, Reason.SOFT_OPT_IN, "R12"), _li_notice, _customer),
    Case("T15", (PET_LI, SMS), (False, Reason.EPRIVACY_CONSENT_REQUIRED, "R12"), _li_notice),
    Case(
        "T15",
        (PET_LI, SMS),
        (False, Reason.SOFT_OPT_IN_NOT_MET, "R12"),
        _li_notice,
        lambda: _customer(contracts=(b.contract("2025-01-01", family="car"),)),
    ),
    Case(
        "T16",
        (PET_LI, PHONE),
        (False, Reason.EPRIVACY_CONSENT_REQUIRED, "R16"),
        _li_notice,
        lambda: _customer("DE"),
    ),
    Case(
        "T17",
        (PET_LI, PHONE),
        (False, Reason.EPRIVACY_CONSENT_REQUIRED, "R16"),
        _li_notice,
        lambda: _customer("DE", subscriber_type=SubscriberType.CORPORATE),
    ),
    Case(
        "T18",
        (PET_LI, PHONE),
        (False, Reason.FR_PHONE_CONSENT_REQUIRED, "R14"),
        _li_notice,
        lambda: b.person("FR"),
        at="2026-08-11T11:00:00+02:00",
    ),
    Case(
        "T19",
        (PET_LI, PHONE),
        (False, Reason.DNC_REGISTERED, "R13"),
        lambda: [*_li_notice(), b.dnc(DncRegister.BLOCTEL, "2026-03-01", effective="2026-03-20")],
        lambda: b.person("FR"),
    ),
    Case(
        "T20",
        (PET_LI, PHONE),
        (False, Reason.DNC_REGISTERED, "R13"),
        lambda: [*_li_notice(), b.dnc(DncRegister.TPS, "2026-03-01")],
        _customer,
    ),
    Case(
        "T21",
        (PET_LI, PHONE),
        (False, Reason.FR_CALL_WINDOW, "R15"),
        _li_notice,
        lambda: b.person("FR"),
        at="2026-06-02T13:30:00+02:00",
    ),
    Case(
        "T21",
        (PET_LI, PHONE),
        (False, Reason.FR_CALL_FREQUENCY, "R15"),
        lambda: [*_li_notice(), *(b.call(f"2026-05-2{d}T11:00+02:00") for d in range(5, 9))],
        lambda: b.person("FR"),
    ),
    Case(
        "T21",
        (PET_LI, PHONE),
        (False, Reason.FR_CALL_COOLDOWN, "R15"),
        lambda: [*_li_notice(), b.refusal("2026-04-03T11:00+02:00")],
        lambda: b.person("FR"),
    ),
    Case("T22", (PET, PHONE), (True, Reason.CONSENT_ACTIVE, "R12"), _consent(PET, PHONE)),
    Case("T22b", (PET_LI, PHONE), (True, Reason.PHONE_LI, "R12"), _li_notice, _customer),
    Case(
        "T22b",
        (PET_LI, PHONE),
        (False, Reason.NO_OPT_OUT_AT_COLLECTION, "R12"),
        _li_notice,
        lambda: b.person("FR", contact_points=b.all_contacts(opt_out_offered=False)),
    ),
    Case(
        "T22b",
        (PET_LI, PHONE),
        (False, Reason.EPRIVACY_CONSENT_REQUIRED, "R12"),
        _li_notice,
        lambda: b.person("IE"),
    ),
    Case("T23", (PET_LI, POST), (True, Reason.POSTAL_LI, "R12"), _li_notice),
    Case("T23", (PET, POST), (True, Reason.CONSENT_ACTIVE, "R12"), _consent(PET, POST)),
    Case(
        "T23",
        (PET_LI, POST),
        (False, Reason.NO_OPT_OUT_AT_COLLECTION, "R12"),
        _li_notice,
        lambda: b.person("FR", contact_points=b.all_contacts(opt_out_offered=False)),
    ),
    Case(
        "T24",
        (ADMIN, None),
        (True, Reason.CONTRACT_ACTIVE, "R8"),
        lambda: [b.notice(ADMIN)],
        _customer,
    ),
    Case(
        "T24",
        (b.ACCOUNTING, None),
        (True, Reason.LEGAL_OBLIGATION_ACTIVE, "R10"),
        lambda: [b.notice(b.ACCOUNTING)],
    ),
    Case(
        "T24", (FRAUD, None), (True, Reason.LEGITIMATE_INTERESTS, "R7"), lambda: [b.notice(FRAUD)]
    ),
    Case(
        "T25",
        (ADMIN, None),
        (False, Reason.CONTRACT_ENDED, "R8"),
        lambda: [b.notice(ADMIN)],
        lambda: _customer(contracts=(b.contract("2025-01-01", "2026-01-01"),)),
    ),
    Case(
        "T25",
        (FRAUD, None),
        (False, Reason.OBJECTION_PENDING, "R7"),
        lambda: [b.notice(FRAUD), b.objection(FRAUD, "2026-03-01")],
    ),
    Case(
        "T25",
        (FRAUD, None),
        (False, Reason.OBJECTION_UPHELD, "R7"),
        lambda: [
            b.notice(FRAUD),
            b.objection(FRAUD, "2026-03-01", ObjectionStatus.UPHELD),
        ],
    ),
]


def _id(case: Case) -> str:
    return f"{case.row}-{case.expected[1].value}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_table_row(case: Case) -> None:
    purposes = case.purposes() if case.purposes else None
    pol = b.policy(purposes, **case.rules)
    decision = b.decide(pol, case.person(), case.events(), case.cell, case.at)
    permitted, reason, rule = case.expected
    assert (decision.permitted, decision.reason, decision.rule, decision.row) == (
        permitted,
        reason,
        rule,
        case.row,
    )


def test_every_row_is_covered() -> None:
    rows = {c.row for c in CASES}
    expected = {f"T{n}" for n in range(1, 26)} | {"T4b", "T22b"}
    assert rows == expected


def test_non_marketing_ignores_marketing_rows() -> None:
    """DM objection, channel opt-out and suppression never reach service processing (T24)."""
    events = [
        b.notice(FRAUD),
        b.dm_objection("2026-03-01"),
        b.unsubscribe(EMAIL, "2026-03-01"),
        b.suppression("2026-03-01"),
    ]
    pol = b.policy(
        [b.purpose(FRAUD, Category.NON_MARKETING, Basis.LEGITIMATE_INTERESTS, **b.li_fields())]
    )
    decision = b.decide(pol, b.person(), events, (FRAUD, EMAIL), DAY)
    assert (decision.permitted, decision.reason, decision.row) == (
        True,
        Reason.LEGITIMATE_INTERESTS,
        "T24",
    )
