"""evaluate_matrix (which shares channel-free rule outcomes per purpose) agrees with evaluating
every cell on its own, across jurisdictions, instants and a busy event history."""

from __future__ import annotations

import pytest

from handlers.evaluate import evaluate, evaluate_matrix
from schemas.enums import Basis, Category, Channel, DncRegister, Engagement, SubscriberType
from schemas.events import BaseEvent
from schemas.person import Person
from schemas.purpose import Purpose
from tests.unit import builders as b
from tests.unit.builders import ADMIN, CAR, CATEGORY, EMAIL, FRAUD, PET, PET_LI, PHONE, POST, SMS

pytestmark = pytest.mark.unit


def _history() -> list[BaseEvent]:
    return [
        *b.notices(CATEGORY, PET_LI, ADMIN, b.ACCOUNTING, FRAUD, "health"),
        b.consent(PET, EMAIL, "2025-01-10"),
        b.consent(PET, PHONE, "2025-01-10", off_hours_calls=True),
        b.consent(CAR, SMS, "2025-02-10"),
        b.consent("health", EMAIL, "2025-02-10", explicit=True),
        b.consent("health", SMS, "2025-02-10"),
        b.engage(Engagement.CLICK, "2026-01-05", PET, EMAIL),
        b.unsubscribe(POST, "2026-02-01"),
        b.dm_objection("2026-03-01", purpose_id=CAR),
        b.objection(FRAUD, "2026-03-05"),
        b.dnc(DncRegister.TPS, "2026-03-10"),
        b.restrict("2026-04-01", purpose_id=PET_LI),
        b.withdraw(CATEGORY, SMS, "2026-04-15"),
        b.erasure("2026-05-01"),
        b.executed("2026-05-20"),
    ]


def _purposes() -> list[Purpose]:
    return [
        *b.standard_purposes(),
        b.purpose("health", special_category=True, parent_id=CATEGORY),
        b.purpose("claims", Category.NON_MARKETING, Basis.CONTRACT, legal_claims=True),
    ]


PEOPLE = {
    "UK": lambda: b.person("UK", contracts=(b.contract("2025-01-01", "2026-04-01"),)),
    "FR": lambda: b.person("FR", contracts=(b.contract("2025-01-01"),), birth_date=None),
    "DE-corporate": lambda: b.person("DE", subscriber_type=SubscriberType.CORPORATE),
}


@pytest.mark.parametrize("who", sorted(PEOPLE))
@pytest.mark.parametrize(
    "at",
    [
        "2025-06-02T12:00:00+02:00",
        "2026-02-15T21:00:00+01:00",
        "2026-03-20T11:00:00+01:00",
        "2026-04-20T11:00:00+02:00",
        "2026-06-02T11:00:00+02:00",
    ],
)
def test_matrix_matches_single_cells(who: str, at: str) -> None:
    pol = b.policy(_purposes())
    person: Person = PEOPLE[who]()
    state = b.fold(pol, person, _history())
    instant = b.t(at)
    matrix = evaluate_matrix(state, pol, instant)
    singles = [
        evaluate(state, pol, purpose_id, channel, instant)
        for purpose_id in pol.purposes
        for channel in Channel
    ]
    assert matrix == singles
    with_none = evaluate_matrix(state, pol, instant, channels=[None, EMAIL])  # type: ignore[list-item]
    assert with_none == [
        evaluate(state, pol, purpose_id, channel, instant)
        for purpose_id in pol.purposes
        for channel in (None, EMAIL)
    ]
