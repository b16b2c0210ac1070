"""The persons step's unvalidated constructions equal validated ones, and fall back to
validation (and its error) whenever a value could fail a constraint; shared cells are written
exactly as the cells they stand for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest
from pydantic import ValidationError

from handlers.aggregate_work import _EVENT_ID_MAX, _person_updated
from handlers.cells import to_cell
from handlers.person_facts import _JURISDICTION, derive_person
from schemas.aggregate import AggregateState, dump_state
from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.events import BaseEvent, PersonUpdated
from schemas.fast_json import dump_json, share, shared_json
from schemas.messages import PermissionCell, PermissionsSnapshot, RecordFact
from schemas.outputs import Decision
from schemas.person import Person

pytestmark = pytest.mark.unit

PERSON = "0PK000000000001AAA"
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _facts(jurisdiction: str, individual: str = PERSON) -> dict[str, RecordFact]:
    fields = {"Lawful_Jurisdiction__c": jurisdiction, "BirthDate": "1980-05-17"}
    email = {"EmailAddress": "a@example.org", "Lawful_Opt_Out_Offered__c": True}
    return {
        individual: RecordFact(entity="Individual", record_id=individual, fields=fields),
        "9PE000000000001AAA": RecordFact(
            entity="ContactPointEmail", record_id="9PE000000000001AAA", fields=email
        ),
    }


def test_constraints_copied_from_the_models() -> None:
    (pattern,) = [m.pattern for m in Person.model_fields["jurisdiction"].metadata]
    assert pattern == f"^{_JURISDICTION.pattern}$"
    lengths = [
        m.max_length
        for m in BaseEvent.model_fields["event_id"].metadata
        if hasattr(m, "max_length")
    ]
    assert lengths == [_EVENT_ID_MAX]


def test_derived_person_equals_the_validated_one() -> None:
    person = derive_person(PERSON, _facts("UK"))
    assert person is not None
    validated = Person(**person.__dict__)
    assert person == validated
    assert list(person.__dict__) == list(validated.__dict__)
    assert person.birth_date == date(1980, 5, 17)
    assert len(person.contact_points) == 1


@pytest.mark.parametrize(
    ("jurisdiction", "individual"), [("uk", PERSON), ("UK\n", PERSON), ("UK", "")]
)
def test_a_person_that_fails_its_constraints_still_raises(
    jurisdiction: str, individual: str
) -> None:
    with pytest.raises(ValidationError):
        derive_person(individual, _facts(jurisdiction, individual))


def test_person_updated_equals_the_validated_event() -> None:
    person = derive_person(PERSON, _facts("FR"))
    assert person is not None
    event = _person_updated("person:x:1", AT, person)
    validated = PersonUpdated(event_id="person:x:1", occurred_at=AT, person=person)
    assert event == validated
    assert list(event.__dict__) == list(validated.__dict__)


@pytest.mark.parametrize(
    ("event_id", "at"),
    [("", AT), ("x" * (_EVENT_ID_MAX + 1), AT), ("person:x:1", AT.replace(tzinfo=None))],
)
def test_a_person_update_that_fails_its_constraints_still_raises(
    event_id: str, at: datetime
) -> None:
    person = derive_person(PERSON, _facts("FR"))
    assert person is not None
    with pytest.raises(ValidationError):
        _person_updated(event_id, at, person)


def _decision(valid_until: datetime | None = None, channel: Channel = Channel.EMAIL) -> Decision:
    reason = Reason.CONSENT_NOT_OPT_IN
    return Decision("p", channel, AT, False, reason, "R6", "T7", Basis.CONSENT, (), valid_until)


def test_equal_decisions_share_one_cell_equal_to_the_validated_one() -> None:
    cell = to_cell(_decision())
    assert to_cell(_decision()) is cell
    assert to_cell(_decision(channel=Channel.SMS)) is not cell
    validated = PermissionCell.model_validate(cell.model_dump())
    assert cell == validated
    assert list(cell.__dict__) == list(validated.__dict__)


def test_a_cell_with_a_horizon_is_not_shared() -> None:
    horizon = datetime(2027, 1, 1, tzinfo=UTC)
    cell = to_cell(_decision(horizon))
    assert to_cell(_decision(horizon)) is not cell
    assert shared_json(cell) is None
    assert not share(cell)  # its JSON depends on the options (`Z` or `+00:00`)


def test_shared_cells_are_written_as_the_cells_themselves() -> None:
    cell = to_cell(_decision())
    assert shared_json(cell) is not None
    twin = PermissionCell.model_validate(cell.model_dump())  # not shared: written field by field
    assert shared_json(twin) is None
    snapshot = PermissionsSnapshot(
        individual_id=PERSON, evaluated_at=AT, purposes=(), cells=(cell, twin)
    )
    data = dump_json(snapshot)
    assert orjson.loads(data) == orjson.loads(snapshot.model_dump_json())
    first, second = orjson.loads(data)["cells"]
    assert first == second
    state = AggregateState(cells={"p|EMAIL": cell})
    assert dump_state(state) == dump_state(AggregateState(cells={"p|EMAIL": twin}))
