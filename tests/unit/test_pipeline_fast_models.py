"""`handlers.fast_models.construct` builds what validation builds (fails on a pydantic change)."""

from __future__ import annotations

import dataclasses

import pytest

from handlers.aggregate import step_person
from handlers.fast_models import construct, evolve
from handlers.mapping_base import RecordChange, record_change
from handlers.records import apply_salesforce_event
from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.events import ConsentRecorded
from schemas.fast_json import dump_json
from schemas.messages import PermissionCell, PermissionChange, PermissionsSnapshot, PersonMessage
from schemas.outputs import AuditEvent
from schemas.records import RecordImage
from schemas.state import PersonState
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    individual_fields,
    iso,
    policy,
)
from workers.pipeline.engine import encode_image

pytestmark = pytest.mark.unit


def test_construct_equals_validated_model() -> None:
    values = {
        "purpose_id": "p",
        "channel": Channel.EMAIL,
        "permitted": True,
        "reason": Reason.CONSENT_ACTIVE,
        "rule": "R12",
        "row": "T9",
        "effective_basis": Basis.CONSENT,
        "valid_until": T0,
        "secondary_reasons": (),
    }
    fast = construct(PermissionCell, dict(values))
    slow = PermissionCell(**values)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert hash(fast) == hash(slow)
    with pytest.raises(Exception, match="frozen"):
        fast.permitted = False  # type: ignore[misc]


def test_construct_covers_every_field_of_the_image() -> None:
    image = construct(
        RecordImage,
        {
            "entity": "Contact",
            "record_id": "003",
            "fields": {"Title": "x"},
            "deleted": False,
            "last_commit_ms": 1,
            "last_replay_id": None,
            "individual_id": None,
            "persons": (),
            "last_change": None,
        },
    )
    assert set(image.model_dump()) == set(RecordImage.model_fields)
    assert RecordImage.model_validate_json(image.model_dump_json()) == image


def test_consent_records_built_fast_equal_validated_ones() -> None:
    fields = consent_fields("p", EffectiveTo=iso(T0), Lawful_Explicit__c=True)
    update = apply_salesforce_event(
        None, cdc("ContactPointTypeConsent", "CREATE", "0ZY1", fields), "0ZY1"
    )
    (message,) = update.messages
    event = message.event
    assert isinstance(event, ConsentRecorded)
    assert ConsentRecorded.model_validate(event.model_dump()) == event
    assert set(event.__dict__) == set(ConsentRecorded.model_fields)


def test_mapped_messages_and_outputs_survive_their_topics_json() -> None:
    """What the worker produces round-trips through JSON without serializer warnings."""
    replica = Replica()
    messages = [
        *replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields())).messages,
        *replica.apply(
            cdc("ContactPointTypeConsent", "CREATE", "0ZY1", consent_fields("pet-mkt"))
        ).messages,
    ]
    state = None
    for message in messages:
        assert PersonMessage.model_validate_json(message.model_dump_json()) == message
        state, output = step_person(state, message, now=T0, policy=policy())
        for change in output.changes:
            assert PermissionChange.model_validate_json(change.model_dump_json()) == change
        for entry in output.audit:
            assert AuditEvent.model_validate_json(entry.model_dump_json()) == entry
        if output.snapshot is not None:
            snapshot = output.snapshot
            assert PermissionsSnapshot.model_validate_json(snapshot.model_dump_json()) == snapshot


def test_evolve_equals_dataclasses_replace() -> None:
    state = PersonState(audit_count=3, seen_event_ids=frozenset({"a"}))
    ids = frozenset({"a", "b"})
    expected = dataclasses.replace(state, audit_count=4, seen_event_ids=ids)
    assert evolve(state, audit_count=4, seen_event_ids=ids) == expected
    assert evolve(state) == state
    assert evolve(state) is not state


@dataclasses.dataclass(frozen=True)
class Unslotted:
    value: int
    label: str = "a"


def test_evolve_copies_a_dataclass_without_slots() -> None:
    copy = evolve(Unslotted(1), label="b")
    assert copy == Unslotted(1, "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.value = 2  # type: ignore[misc]


@dataclasses.dataclass(frozen=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


def test_evolve_refuses_a_dataclass_with_post_init() -> None:
    with pytest.raises(TypeError, match=r"Checked needs dataclasses\.replace"):
        evolve(Checked(1), value=-1)


def test_record_change_equals_the_dataclass() -> None:
    values = ("Contact", "003", {"A": 1}, {"A": 2}, False, 5, None, PERSON)
    fast = record_change(*values)
    assert fast == RecordChange(*values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.deleted = True  # type: ignore[misc]


def test_record_facts_built_fast_equal_validated_ones() -> None:
    change = record_change(
        "Individual", PERSON, None, individual_fields(), False, 1_800_000_000_000, 7, PERSON
    )
    fast = change.fact(("Lawful_Jurisdiction__c", "BirthDate", "Missing__c"), deleted=True)
    slow = PersonMessage.model_validate(fast.model_dump())
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.record is not None
    assert slow.record is not None
    assert fast.record.fields == {"Lawful_Jurisdiction__c": "UK", "BirthDate": "1980-05-17"}
    assert set(fast.__dict__) == set(PersonMessage.model_fields)
    assert set(fast.record.__dict__) == set(slow.record.__dict__)


def test_encoded_images_equal_dump_json() -> None:
    replica = Replica()
    replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields()))
    image = replica.images[PERSON]
    assert encode_image(image) == dump_json(image)
    odd = image.model_copy(update={"fields": {"Big": 2**70, "Set": {"a"}}})
    assert encode_image(odd) == dump_json(odd)
