"""The person aggregate: snapshots, per-cell changes, redelivery, alerts once, wake-ups."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.aggregate import AggregateOutput, step_person, step_person_batch
from handlers.evaluate import evaluate_matrix
from schemas.aggregate import AggregateState, clear_state_cache, dump_state, load_state
from schemas.codes import AlertType, Reason
from schemas.enums import Channel
from schemas.messages import PersonMessage
from schemas.policy import Policy
from tests.unit.builders import CAR, PET, policy
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    days,
    individual_fields,
    iso,
)

pytestmark = pytest.mark.unit

CONSENT = "0ZY000000000001AAA"


class Person:
    """The persons table for one person."""

    def __init__(self, pol: Policy) -> None:
        self.policy = pol
        self.state: AggregateState | None = None

    def step(self, message: PersonMessage, now: datetime) -> AggregateOutput:
        self.state, output = step_person(self.state, message, now=now, policy=self.policy)
        return output

    def feed(self, messages: tuple[PersonMessage, ...], now: datetime) -> list[AggregateOutput]:
        return [self.step(m, now) for m in messages]


def _person_with_individual(pol: Policy, replica: Replica, now: datetime) -> Person:
    person = Person(pol)
    update = replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields(), at=T0))
    (output,) = person.feed(update.messages, now)
    assert output.snapshot is not None
    return person


def test_first_fact_publishes_a_full_snapshot() -> None:
    pol = policy()
    person = _person_with_individual(pol, Replica(), T0)
    assert person.state is not None
    expected = evaluate_matrix(person.state.person, pol, T0)
    assert len(person.state.cells) == len(expected)
    assert all(not cell.permitted for cell in person.state.cells.values() if cell.purpose_id == PET)


def test_a_consent_changes_only_its_cells() -> None:
    pol = policy()
    replica = Replica()
    now = T0 + days(1)
    person = _person_with_individual(pol, replica, now)
    before = dict(person.state.cells) if person.state else {}
    update = replica.apply(
        cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET), at=T0 + days(1))
    )
    (output,) = person.feed(update.messages, now)
    assert output.snapshot is not None
    changed = {(c.purpose_id, c.channel) for c in output.changes}
    assert (PET, Channel.EMAIL) in changed
    assert all(
        change.before == before[f"{change.purpose_id}|{change.channel}"]
        for change in output.changes
    )
    after = person.state.cells if person.state else {}
    unchanged = {k for k in after if k not in {f"{p}|{c}" for p, c in changed}}
    assert unchanged, "other cells stay as they were"
    assert all(after[k] == before[k] for k in unchanged)
    email = after[f"{PET}|EMAIL"]
    assert email.permitted
    assert email.reason is Reason.CONSENT_ACTIVE
    (change,) = [c for c in output.changes if c.channel is Channel.EMAIL and c.purpose_id == PET]
    assert change.trigger.record_id == CONSENT
    assert change.trigger.kind == "CONSENT_RECORDED"
    # what the aggregate published equals a from-scratch evaluation
    assert person.state is not None
    fresh = {
        f"{d.purpose_id}|{d.channel}": d for d in evaluate_matrix(person.state.person, pol, now)
    }
    assert {k: (c.permitted, c.reason) for k, c in after.items()} == {
        k: (d.permitted, d.reason) for k, d in fresh.items()
    }


def test_a_redelivered_message_changes_nothing() -> None:
    pol = policy()
    replica = Replica()
    now = T0 + days(1)
    person = _person_with_individual(pol, replica, now)
    update = replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET)))
    person.feed(update.messages, now)
    state = person.state
    for message in update.messages:
        output = person.step(message, now + days(1))
        assert output.snapshot is None
        assert output.changes == ()
        assert output.audit == ()
    assert person.state is state
    fact = replica.apply(
        cdc("Individual", "UPDATE", PERSON, {"Lawful_Brand__c": "acme"}, at=T0 + days(2))
    )
    person.feed(fact.messages, now)
    state = person.state
    (again,) = person.feed(fact.messages, now)
    assert again.audit == ()
    assert person.state is state


def test_an_unchanged_fact_emits_nothing_but_a_changed_person_recomputes() -> None:
    pol = policy()
    replica = Replica()
    person = _person_with_individual(pol, replica, T0)
    irrelevant = replica.apply(
        cdc("Individual", "UPDATE", PERSON, {"Occupation": "x"}, at=T0 + days(1))
    )
    assert irrelevant.messages == ()
    moved = replica.apply(
        cdc("Individual", "UPDATE", PERSON, {"Lawful_Jurisdiction__c": "FR"}, at=T0 + days(1))
    )
    (output,) = person.feed(moved.messages, T0 + days(1))
    assert [a.event_type.value for a in output.audit] == ["PERSON_UPDATED"]
    assert person.state is not None
    assert person.state.person.person is not None
    assert person.state.person.person.jurisdiction == "FR"


def _consenting_person(pol: Policy, now: datetime) -> Person:
    replica = Replica()
    person = _person_with_individual(pol, replica, now)
    update = replica.apply(
        cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET), at=now)
    )
    person.feed(update.messages, now)
    return person


def test_next_wakeup_is_the_earliest_alert_lead_before_expiry() -> None:
    pol = policy()
    person = _consenting_person(pol, T0)
    assert person.state is not None
    email = person.state.cells[f"{PET}|EMAIL"]
    assert email.valid_until is not None  # 24-month decay horizon
    assert person.state.next_wakeup == email.valid_until - days(30)


def test_alerts_go_out_once_even_across_a_dump_and_load() -> None:
    pol = policy()
    person = _consenting_person(pol, T0)
    assert person.state is not None
    horizon = person.state.cells[f"{PET}|EMAIL"].valid_until
    assert horizon is not None
    wake = person.state.next_wakeup
    assert wake is not None
    tick = PersonMessage(individual_id=PERSON, kind="TICK", tick_at=wake)
    first = person.step(tick, wake)
    kinds = [(a.type, a.data.lead_days, a.data.channel) for a in first.alerts]
    assert (AlertType.CONSENT_EXPIRING, 30, Channel.EMAIL) in kinds
    data = dump_state(person.state)
    clear_state_cache()
    restored = load_state(data)
    assert restored is not person.state
    assert restored == person.state
    later = PersonMessage(individual_id=PERSON, kind="TICK", tick_at=wake + days(1))
    _, again = step_person(restored, tick, now=wake, policy=pol)  # the same tick redelivered
    assert again.alerts == ()
    _, after_restart = step_person(restored, later, now=wake + days(1), policy=pol)
    assert all(a.event_id not in {b.event_id for b in first.alerts} for a in after_restart.alerts)
    # the expiry itself comes at the horizon, once
    state = restored
    expired = []
    for at in (horizon - days(7), horizon - days(1), horizon, horizon + days(1)):
        state, out = step_person(
            state, PersonMessage(individual_id=PERSON, kind="TICK", tick_at=at), now=at, policy=pol
        )
        expired += [a for a in out.alerts if a.type is AlertType.CONSENT_EXPIRED]
    assert len(expired) == 1
    assert not state.cells[f"{PET}|EMAIL"].permitted


def test_round_trip_keeps_decisions_identical() -> None:
    pol = policy()
    person = _consenting_person(pol, T0)
    assert person.state is not None
    data = dump_state(person.state)
    assert load_state(data) is person.state  # a value this process wrote is not decoded again
    clear_state_cache()
    restored = load_state(data)
    assert restored is not person.state
    at = T0 + days(100)
    assert evaluate_matrix(restored.person, pol, at) == evaluate_matrix(
        person.state.person, pol, at
    )


def test_withdrawal_is_a_change_with_before_and_after() -> None:
    pol = policy()
    replica = Replica()
    person = _person_with_individual(pol, replica, T0)
    person.feed(
        replica.apply(
            cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET))
        ).messages,
        T0,
    )
    later = T0 + days(3)
    update = replica.apply(
        cdc(
            "ContactPointTypeConsent",
            "UPDATE",
            CONSENT,
            {"PrivacyConsentStatus": "OptOut", "CaptureDate": iso(later)},
            at=later,
        )
    )
    (output,) = person.feed(update.messages, later)
    (change,) = [c for c in output.changes if c.purpose_id == PET and c.channel is Channel.EMAIL]
    assert change.before is not None
    assert change.before.permitted
    assert not change.after.permitted
    assert change.after.reason is Reason.CONSENT_WITHDRAWN


def test_events_before_the_person_are_kept_and_evaluated_later() -> None:
    pol = policy()
    replica = Replica()
    person = Person(pol)
    consent = replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET)))
    (early,) = person.feed(consent.messages, T0)
    assert early.snapshot is None
    individual = replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields()))
    (output,) = person.feed(individual.messages, T0)
    assert output.snapshot is not None
    assert person.state is not None
    assert person.state.cells[f"{PET}|EMAIL"].permitted


def test_double_opt_in_through_the_stream_grants_without_rejections() -> None:
    pol = policy()
    replica = Replica()
    person = Person(pol)
    now = T0 + days(2)
    person.feed(
        replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields("DE"))).messages, now
    )
    created = replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET)))
    person.feed(created.messages, now)
    assert person.state is not None
    assert person.state.cells[f"{PET}|EMAIL"].reason is Reason.DOUBLE_OPT_IN_PENDING
    confirmed = T0 + days(1)
    update = replica.apply(
        cdc(
            "ContactPointTypeConsent",
            "UPDATE",
            CONSENT,
            {"DoubleConsentCaptureDate": iso(confirmed)},
            at=confirmed,
        )
    )
    outputs = person.feed(update.messages, now)
    assert all(output.rejections == () for output in outputs)
    assert person.state.cells[f"{PET}|EMAIL"].permitted


def test_a_rich_state_survives_the_codec() -> None:
    """Every container of the engine state (consents, restrictions, erasures, holds, DNC,
    engagements, suppressions, alerts emitted) comes back equal from the table bytes."""
    pol = policy()
    replica = Replica()
    person = _consenting_person(pol, T0)
    record = "a01000000000001AAA"
    lawful = [
        ("Lawful_Restriction__c", {"Set_At__c": iso(T0), "Scope__c": "PERSON"}),
        ("Lawful_Erasure_Request__c", {"Request_Id__c": "R-1", "Received_At__c": iso(T0)}),
        (
            "Lawful_Legal_Hold__c",
            {"Claim_Ref__c": "C", "Categories__c": "A;B", "Set_At__c": iso(T0)},
        ),
        ("Lawful_DNC_Listing__c", {"Register__c": "TPS", "Listed_At__c": iso(T0)}),
        ("Lawful_Engagement_Event__c", {"Type__c": "CLICK", "Occurred_At__c": iso(T0)}),
        ("Lawful_Suppression__c", {"Identifier_Hash__c": "ab", "Added_At__c": iso(T0)}),
        ("Lawful_Objection__c", {"Kind__c": "DIRECT_MARKETING", "Received_At__c": iso(T0)}),
    ]
    for n, (entity, fields) in enumerate(lawful):
        rid = f"{record[:-4]}{n}AAA"
        update = replica.apply(cdc(entity, "CREATE", rid, {"Individual__c": PERSON, **fields}))
        person.feed(update.messages, T0 + days(1))
    assert person.state is not None
    wake = T0 + days(700)
    person.step(PersonMessage(individual_id=PERSON, kind="TICK", tick_at=wake), wake)
    state = person.state
    assert state.person.erasures
    assert state.person.emitted_alerts
    data = dump_state(state)
    clear_state_cache()
    restored = load_state(data)
    assert restored is not state
    assert restored == state
    assert evaluate_matrix(restored.person, pol, wake) == evaluate_matrix(state.person, pol, wake)


def test_a_consent_already_within_its_alert_lead_wakes_at_once() -> None:
    pol = policy()
    replica = Replica()
    now = T0 + days(1)
    person = _person_with_individual(pol, replica, now)
    expires = now + days(5)
    fields = consent_fields(PET, captured=now, EffectiveTo=iso(expires))
    person.feed(
        replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields, at=now)).messages,
        now,
    )
    assert person.state is not None
    assert person.state.cells[f"{PET}|EMAIL"].valid_until == expires
    assert person.state.next_wakeup == now
    tick = person.step(PersonMessage(individual_id=PERSON, kind="TICK", tick_at=now), now)
    leads = sorted(
        a.data.lead_days or 0 for a in tick.alerts if a.type is AlertType.CONSENT_EXPIRING
    )
    assert leads == [7, 30]  # caught up at once; T-1 follows at its instant
    assert tick.next_wakeup == expires - days(1)


def test_a_batch_publishes_net_changes_with_the_right_triggers() -> None:
    pol = policy()
    replica = Replica()
    now = T0 + days(1)
    messages = [
        *replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields())).messages,
        *replica.apply(
            cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET))
        ).messages,
    ]
    other = "0ZY000000000002AAA"
    messages += replica.apply(
        cdc("ContactPointTypeConsent", "CREATE", other, consent_fields(CAR, channel="POST"))
    ).messages
    state, output = step_person_batch(None, messages, now=now, policy=pol)
    assert output.snapshot is not None
    by_cell = {(c.purpose_id, c.channel): c for c in output.changes}
    assert len(by_cell) == len(output.changes) == len(state.cells)  # first publication: every cell
    assert by_cell[(PET, Channel.EMAIL)].trigger.record_id == CONSENT
    assert by_cell[(CAR, Channel.POST)].trigger.record_id == other
    assert by_cell[("policy-admin", Channel.EMAIL)].trigger.kind == "RECORD_FACT"
    sequential: AggregateState | None = None
    for message in messages:
        sequential, _ = step_person(sequential, message, now=now, policy=pol)
    assert sequential is not None
    assert sequential.cells == state.cells
    again, repeated = step_person_batch(state, messages, now=now, policy=pol)
    assert again is state
    assert repeated.changes == ()
    assert repeated.snapshot is None


def test_a_tick_inside_a_batch_emits_its_alerts() -> None:
    pol = policy()
    person = _consenting_person(pol, T0)
    assert person.state is not None
    wake = person.state.next_wakeup
    assert wake is not None
    tick = PersonMessage(individual_id=PERSON, kind="TICK", tick_at=wake)
    replica = Replica()
    later = replica.apply(
        cdc(
            "Lawful_Engagement_Event__c",
            "CREATE",
            "a01000000000001AAA",
            {
                "Individual__c": PERSON,
                "Type__c": "CLICK",
                "Occurred_At__c": iso(wake),
                "Channel__c": "EMAIL",
            },
        )
    ).messages
    state, output = step_person_batch(person.state, [tick, *later], now=wake, policy=pol)
    assert [a.data.lead_days for a in output.alerts] == [30]
    assert state.last_tick == wake
    assert state.person.engagements


def test_a_tick_older_than_a_rebuilt_state_still_emits_the_due_alerts() -> None:
    """After a crash the state is rebuilt (created now) from redelivered messages, and the TICK
    the crashed process sent earlier is redelivered after them: its alerts must not be lost."""
    pol = policy()
    replica = Replica()
    sent = T0 + days(1)  # the crashed worker scheduled and sent the TICK at this instant
    rebuilt = sent + days(0.01)  # the restarted worker recreates the state a little later
    person = _person_with_individual(pol, replica, rebuilt)
    expires = sent + days(5)
    fields = consent_fields(PET, captured=sent, EffectiveTo=iso(expires))
    person.feed(
        replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields, at=sent)).messages,
        rebuilt,
    )
    tick = person.step(PersonMessage(individual_id=PERSON, kind="TICK", tick_at=sent), rebuilt)
    leads = sorted(
        a.data.lead_days or 0 for a in tick.alerts if a.type is AlertType.CONSENT_EXPIRING
    )
    assert leads == [7, 30]
