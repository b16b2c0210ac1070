"""`handlers.fast_models.construct` builds what validation builds (fails on a pydantic change)."""

from __future__ import annotations

import pytest

from handlers.fast_models import construct
from handlers.records import apply_salesforce_event
from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.events import ConsentRecorded
from schemas.messages import PermissionCell
from schemas.records import RecordImage
from tests.unit.test_pipeline_support import T0, cdc, consent_fields, iso

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
