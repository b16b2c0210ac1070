"""Through the pure pipeline: a DELETE of a ContactPointTypeConsent withdraws what it proved,
a redelivery changes nothing, an UNDELETE grants again."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.evaluate import evaluate_matrix
from handlers.mapping import consent_record_deleted
from handlers.mapping_base import RecordChange
from schemas.codes import Reason
from schemas.enums import Channel
from schemas.events import ConsentRecordDeleted, ConsentRecorded
from schemas.messages import PersonMessage
from tests.unit.builders import PET, policy
from tests.unit.test_pipeline_aggregate import Person
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    days,
    individual_fields,
)

pytestmark = pytest.mark.unit

CONSENT = "0ZY000000000001AAA"
OTHER = "0ZY000000000002AAA"
CELL = f"{PET}|EMAIL"


def _events(messages: tuple[PersonMessage, ...]) -> list[object]:
    return [m.event for m in messages if m.event is not None]


def _person(replica: Replica) -> Person:
    person = Person(policy())
    person.feed(
        replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields())).messages, T0
    )
    created = cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields(PET), at=T0)
    person.feed(replica.apply(created).messages, T0)
    assert person.state is not None
    assert person.state.cells[CELL].permitted
    return person


def _matches_a_fresh_evaluation(person: Person, now: datetime) -> None:
    assert person.state is not None
    fresh = evaluate_matrix(person.state.person, person.policy, now)
    published = {k: (c.permitted, c.reason) for k, c in person.state.cells.items()}
    assert published == {f"{d.purpose_id}|{d.channel}": (d.permitted, d.reason) for d in fresh}


def test_deleting_the_consent_record_publishes_the_lost_permission() -> None:
    replica = Replica()
    person = _person(replica)
    gone = T0 + days(2)
    update = replica.apply(cdc("ContactPointTypeConsent", "DELETE", CONSENT, at=gone))
    (event,) = _events(update.messages)
    assert isinstance(event, ConsentRecordDeleted)
    assert (event.record_id, event.purpose_id, event.channel) == (CONSENT, PET, Channel.EMAIL)
    assert event.occurred_at == gone
    (output,) = person.feed(update.messages, gone)
    (change,) = [c for c in output.changes if c.purpose_id == PET and c.channel is Channel.EMAIL]
    assert change.before is not None
    assert change.before.permitted
    assert not change.after.permitted
    assert change.after.reason is Reason.NO_NOTICE  # its notice version went with it (R3)
    _matches_a_fresh_evaluation(person, gone)
    assert change.trigger.kind == "CONSENT_RECORD_DELETED"
    assert change.trigger.record_id == CONSENT
    state = person.state
    for message in update.messages:  # redelivered
        again = person.step(message, gone + days(1))
        assert again.changes == ()
        assert again.audit == ()
    assert person.state is state


def test_a_second_record_for_the_cell_keeps_it_permitted() -> None:
    replica = Replica()
    person = _person(replica)
    other = cdc("ContactPointTypeConsent", "CREATE", OTHER, consent_fields(PET), at=T0 + days(1))
    person.feed(replica.apply(other).messages, T0 + days(1))
    gone = T0 + days(2)
    update = replica.apply(cdc("ContactPointTypeConsent", "DELETE", CONSENT, at=gone))
    (output,) = person.feed(update.messages, gone)
    assert output.audit, "the deletion is audited"
    assert person.state is not None
    cell = person.state.cells[CELL]
    assert cell.permitted
    assert cell.reason is Reason.CONSENT_ACTIVE


def test_an_undelete_grants_again_with_a_new_event_id() -> None:
    replica = Replica()
    person = _person(replica)
    gone = T0 + days(2)
    person.feed(
        replica.apply(cdc("ContactPointTypeConsent", "DELETE", CONSENT, at=gone)).messages, gone
    )
    assert person.state is not None
    assert not person.state.cells[CELL].permitted
    back = T0 + days(3)
    restored = cdc("ContactPointTypeConsent", "UNDELETE", CONSENT, consent_fields(PET), at=back)
    update = replica.apply(restored)
    (event,) = _events(update.messages)
    assert isinstance(event, ConsentRecorded)
    assert event.event_id not in person.state.person.seen_event_ids
    (output,) = person.feed(update.messages, back)
    (change,) = [c for c in output.changes if c.purpose_id == PET and c.channel is Channel.EMAIL]
    assert change.after.permitted
    assert change.after.reason is Reason.CONSENT_ACTIVE
    assert change.trigger.kind == "CONSENT_RECORDED"


def test_a_deleted_image_with_an_unreadable_channel_still_maps() -> None:
    fields = consent_fields(PET, channel=None, ContactPointType="Phone")
    change = RecordChange(
        "ContactPointTypeConsent", CONSENT, fields, fields, True, 1_800_000_000_000, 7, PERSON
    )
    event = consent_record_deleted(change)
    assert (event.record_id, event.purpose_id, event.channel) == (CONSENT, PET, None)
    assert event.source is not None
    assert event.source.replay_id == "7"
    assert event.event_id == consent_record_deleted(change).event_id


def test_deleting_the_record_that_carried_the_notice_updates_other_channels() -> None:
    """R3: its notice version was the purpose's notice on every channel; those cells change."""
    replica = Replica()
    person = _person(replica)
    assert person.state is not None
    assert person.state.cells[f"{PET}|SMS"].reason is Reason.CONSENT_NOT_OPT_IN
    gone = T0 + days(2)
    update = replica.apply(cdc("ContactPointTypeConsent", "DELETE", CONSENT, at=gone))
    (output,) = person.feed(update.messages, gone)
    changed = {(c.purpose_id, c.channel) for c in output.changes}
    assert {(PET, Channel.EMAIL), (PET, Channel.SMS)} <= changed
    assert person.state.cells[f"{PET}|SMS"].reason is Reason.NO_NOTICE
    _matches_a_fresh_evaluation(person, gone)
