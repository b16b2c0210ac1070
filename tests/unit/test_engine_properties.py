"""Property-based tests of the engine: determinism, idempotence, tie-break, erasure/suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.evaluate import evaluate_matrix
from handlers.fold import decide, fold_all
from schemas.config import RulesConfig
from schemas.enums import Actor, Category, Channel, ConsentStatus, SuppressionScope
from schemas.events import (
    BaseEvent,
    ChannelOptedOut,
    ConsentRecorded,
    EngagementRecorded,
    ErasureExecuted,
    ErasureRequested,
    MarketingObjection,
    NoticeShown,
    SuppressionAdded,
)
from schemas.person import ContactPoint, Contract, Person
from schemas.policy import Policy
from schemas.purpose import Purpose
from schemas.state import PersonState

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PERSON = Person(
    individual_id="0PK000000000001AAA",
    jurisdiction="UK",
    birth_date=datetime(1990, 5, 5, tzinfo=UTC).date(),
    contact_points=(
        ContactPoint(
            id="e1", kind="EMAIL", opt_out_offered_at_collection=True, obtained_via="SALE"
        ),
    ),
    contracts=(Contract(id="k1", product_family="pet", start=T0 - timedelta(days=400)),),
)
PURPOSES = (
    Purpose(id="ins", category=Category.MARKETING, basis="CONSENT"),
    Purpose(
        id="pet",
        category=Category.MARKETING,
        basis="CONSENT",
        parent_id="ins",
        product_family="pet",
    ),
    Purpose(
        id="pet-li",
        category=Category.MARKETING,
        basis="LEGITIMATE_INTERESTS",
        product_family="pet",
        lia_reference="LIA-1",
        lia_outcome="PASS",
        lia_date=T0,
    ),
    Purpose(
        id="admin",
        category=Category.NON_MARKETING,
        basis="CONTRACT",
        product_family="pet",
        data_categories=("CONTRACT_DATA",),
    ),
)
POLICY = Policy(RulesConfig(), PURPOSES)
MARKETING = ("ins", "pet", "pet-li")
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.POST)

times = st.integers(min_value=0, max_value=900).map(lambda d: T0 + timedelta(days=d))
purposes = st.sampled_from([p.id for p in PURPOSES])
channels = st.sampled_from(CHANNELS)


@st.composite
def events(draw: st.DrawFn) -> list[BaseEvent]:
    count = draw(st.integers(min_value=0, max_value=14))
    made: list[BaseEvent] = [
        NoticeShown(event_id=f"n-{p.id}", occurred_at=T0, purpose_id=p.id, notice_version="v1")
        for p in PURPOSES
    ]
    for i in range(count):
        at = draw(times)
        kind = draw(st.sampled_from(["consent", "engage", "optout", "object", "suppress"]))
        if kind == "consent":
            made.append(
                ConsentRecorded(
                    event_id=f"c{i}",
                    occurred_at=at,
                    purpose_id=draw(purposes),
                    channel=draw(channels),
                    status=draw(st.sampled_from([ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT])),
                    capture_source="web",
                    capture_method="CHECKBOX_UNTICKED",
                    notice_version="v1",
                    actor=draw(st.sampled_from(list(Actor))),
                    evidence_ref=draw(st.none() | st.just("ev")),
                )
            )
        elif kind == "engage":
            made.append(EngagementRecorded(event_id=f"g{i}", occurred_at=at, engagement="CLICK"))
        elif kind == "optout":
            made.append(
                ChannelOptedOut(
                    event_id=f"o{i}", occurred_at=at, channel=draw(channels), method="UNSUBSCRIBE"
                )
            )
        elif kind == "object":
            made.append(MarketingObjection(event_id=f"m{i}", occurred_at=at))
        else:
            made.append(
                SuppressionAdded(
                    event_id=f"s{i}",
                    occurred_at=at,
                    scope=SuppressionScope.DM_ALL,
                    identifier_hash="ab",
                )
            )
    return made


def _fold(evts: list[BaseEvent]) -> PersonState:
    state, _ = fold_all(PersonState(person=PERSON), evts, now=T0, config=POLICY)
    return state


def _matrix(state: PersonState, at: datetime) -> list[tuple[str, str | None, bool, str]]:
    return [
        (d.purpose_id, d.channel, d.permitted, d.reason)
        for d in evaluate_matrix(state, POLICY, at, channels=CHANNELS)
    ]


quick = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(events(), times)
def test_evaluation_is_deterministic(evts: list[BaseEvent], at: datetime) -> None:
    assert _matrix(_fold(evts), at) == _matrix(_fold(list(evts)), at)


@quick
@given(events(), st.data())
def test_redelivery_changes_nothing(evts: list[BaseEvent], data: st.DataObject) -> None:
    state = _fold(evts)
    again = data.draw(st.lists(st.sampled_from(evts), max_size=5)) if evts else []
    for event in again:
        new_state, effects = decide(state, event, now=T0, config=POLICY)
        assert new_state is state
        assert effects == ()


@quick
@given(events(), st.randoms(use_true_random=False), times)
def test_input_order_does_not_matter(evts: list[BaseEvent], rnd: object, at: datetime) -> None:
    shuffled = list(evts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _matrix(_fold(shuffled), at) == _matrix(_fold(evts), at)
    assert _fold(shuffled).audit_head == _fold(evts).audit_head


def test_equal_timestamps_resolve_to_the_least_permissive_status() -> None:
    common = {
        "occurred_at": T0 + timedelta(days=1),
        "purpose_id": "pet",
        "channel": "EMAIL",
        "capture_source": "web",
        "capture_method": "CHECKBOX_UNTICKED",
        "notice_version": "v1",
    }
    opt_in = ConsentRecorded(event_id="z-in", status="OPT_IN", **common)
    opt_out = ConsentRecorded(event_id="a-out", status="OPT_OUT", **common)
    notices = [NoticeShown(event_id="n", occurred_at=T0, purpose_id="pet", notice_version="v1")]
    for order in ([opt_in, opt_out], [opt_out, opt_in]):
        state = _fold([*notices, *order])
        decision = evaluate_matrix(state, POLICY, T0 + timedelta(days=2), ["pet"], [Channel.EMAIL])
        assert decision[0].permitted is False


@quick
@given(events(), times, events())
def test_erased_person_is_never_contacted(
    before: list[BaseEvent], executed_at: datetime, after: list[BaseEvent]
) -> None:
    erasure = [
        ErasureRequested(event_id="er", occurred_at=executed_at, request_id="R1"),
        ErasureExecuted(event_id="ex", occurred_at=executed_at, request_id="R1"),
    ]
    later = [
        e.model_copy(
            update={
                "event_id": "late-" + e.event_id,
                "occurred_at": e.occurred_at + (executed_at - T0),
            }
        )
        for e in after
    ]
    state = _fold([*before, *erasure, *later])
    for at in (executed_at, executed_at + timedelta(days=400)):
        for purpose_id, _, permitted, reason in _matrix(state, at):
            if purpose_id in MARKETING:
                assert not permitted
                assert reason == "ERASED"


def _self_given(event: BaseEvent) -> bool:
    return isinstance(event, ConsentRecorded) and (
        event.actor in (Actor.SELF, Actor.PARENT)
        or (event.actor is Actor.AGENT and event.evidence_ref is not None)
    )


@quick
@given(events(), times)
def test_suppressed_person_needs_later_self_given_consent(
    evts: list[BaseEvent], at: datetime
) -> None:
    state = _fold(evts)
    blocks = [
        e.occurred_at
        for e in evts
        if isinstance(e, SuppressionAdded | MarketingObjection) and e.occurred_at <= at
    ]
    if not blocks:
        return
    for purpose_id, channel, permitted, _ in _matrix(state, at):
        if purpose_id not in MARKETING or not permitted:
            continue
        fresh = [
            e
            for e in evts
            if _self_given(e)
            and isinstance(e, ConsentRecorded)
            and e.purpose_id == purpose_id
            and e.channel == channel
            and e.status is ConsentStatus.OPT_IN
            and max(blocks) < e.occurred_at <= at
        ]
        assert fresh, f"{purpose_id}/{channel} permitted while suppressed"


@quick
@given(events(), st.randoms(use_true_random=False), times)
def test_out_of_order_delivery_gives_the_same_decisions(
    evts: list[BaseEvent], rnd: object, at: datetime
) -> None:
    """Facts (not commands) folded one by one in any order decide like the sorted fold."""
    shuffled = list(evts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    state = PersonState(person=PERSON)
    for event in shuffled:
        state, _ = decide(state, event, now=T0, config=POLICY)
    assert _matrix(state, at) == _matrix(_fold(evts), at)
