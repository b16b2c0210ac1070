"""The fold's hand-written dumps equal the pydantic dumps they replace (audit fields)."""

from __future__ import annotations

import pytest

from handlers.audit import _source
from handlers.fold_rules import _EVIDENCE, _evidence, person_updated
from schemas.enums import Actor, CaptureMethod, ConsentStatus, ContactPointKind
from schemas.events import EventSource, PersonUpdated
from schemas.state import PersonState
from tests.unit import builders as b
from tests.unit.builders import EMAIL, PET

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"actor": Actor.AGENT, "agent_id": "005A", "evidence_ref": "rec-1", "explicit": True},
        {"capture_method": CaptureMethod.VERBAL_RECORDED, "parental_verification_ref": "pv"},
        {"double_opt_in_at": "2026-01-03T10:20:30.123456"},
    ],
)
def test_evidence_is_the_json_dump_of_the_evidence_fields(fields: dict[str, object]) -> None:
    for status in (ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT):
        event = b.consent(PET, EMAIL, "2026-01-02", status, **fields)
        expected = event.model_dump(mode="json", include=set(_EVIDENCE), exclude_none=True)
        assert _evidence(event) == expected
        assert list(_evidence(event)) == list(expected)  # same key order in the audit JSON


@pytest.mark.parametrize(
    "source",
    [None, EventSource(), EventSource(record_id="0ZY1", replay_id="7"), EventSource(system="x")],
)
def test_audit_source_is_the_event_id_and_the_json_dump_of_the_source(
    source: EventSource | None,
) -> None:
    event = b.consent(PET, EMAIL, "2026-01-02", source=source)
    expected = {"event_id": event.event_id}
    if source is not None:
        expected.update(source.model_dump(mode="json", exclude_none=True))
    assert _source(event) == expected
    assert list(_source(event)) == list(expected)


def test_person_updated_names_the_changed_fields_as_model_dumps_would() -> None:
    before = b.person(contact_points=(b.contact(ContactPointKind.EMAIL, "a@example.org"),))
    after = b.person(
        contact_points=(b.contact(ContactPointKind.EMAIL, "b@example.org"),), brand="B"
    )
    for old, new in ((None, after), (before, after), (after, after)):
        event = PersonUpdated(event_id="p", occurred_at=b.t("2026-01-02"), person=new)
        step = person_updated(PersonState(person=old), event, b.policy())
        dumped = old.model_dump() if old else {}
        changed = sorted(k for k, v in new.model_dump().items() if dumped.get(k) != v)
        ((_, audit),) = step.audits
        assert audit["new_state"]["changed"] == changed
