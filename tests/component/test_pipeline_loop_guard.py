"""The records agent with the real engine: the write-back's own CDC change of an Individual
updates the record image but produces no person message (no write-back loop)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.messages import PersonMessage, SalesforceEvent
from schemas.records import RecordImage
from tests.unit.test_pipeline_support import T0, cdc, individual_fields
from workers.pipeline.dlq import Origin
from workers.pipeline.engine import engine_binding
from workers.pipeline.records import PERSON_EVENTS_TOPIC, RecordsProcessor

pytestmark = pytest.mark.component

PERSON = "0PK000000000042AAA"
WRITEBACK_ORIGIN = "com/salesforce/api/rest/59.0;client=lawful-writeback"


class Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str | None, bytes]] = []

    async def __call__(self, topic: str, key: str | None, value: bytes) -> None:
        self.messages.append((topic, key, value))

    def persons(self) -> list[PersonMessage]:
        return [
            PersonMessage.model_validate_json(v)
            for t, _, v in self.messages
            if t == PERSON_EVENTS_TOPIC
        ]


def update(fields: dict[str, object], origin: str, minutes: int) -> SalesforceEvent:
    event = cdc("Individual", "UPDATE", PERSON, fields, at=T0 + timedelta(minutes=minutes))
    event.payload["ChangeEventHeader"]["changeOrigin"] = origin
    return event


async def handle(processor: RecordsProcessor, table: dict[str, bytes], e: SalesforceEvent) -> None:
    origin = Origin("p.lawful.sf-cdc.v1", 0, 0, PERSON.encode(), e.model_dump_json().encode())
    await processor.handle(origin, table)


@pytest.mark.parametrize("known", [True, False])
@pytest.mark.parametrize(
    ("fields", "origin", "tells_the_person"),
    [
        ({"Lawful_Basis_Status__c": "CONSENT_OK"}, WRITEBACK_ORIGIN, False),
        ({"Lawful_Jurisdiction__c": "DE"}, WRITEBACK_ORIGIN, True),  # a flow changed more
        ({"Lawful_Jurisdiction__c": "DE"}, "client=someone-else", True),
    ],
)
async def test_only_the_write_backs_own_change_is_kept_from_the_person(
    fields: dict[str, object], origin: str, tells_the_person: bool, known: bool
) -> None:
    sent = Sent()
    processor = RecordsProcessor(engine_binding(None).apply_record, sent)
    table: dict[str, bytes] = {}
    if known:
        await handle(processor, table, cdc("Individual", "CREATE", PERSON, individual_fields()))
    before = len(sent.persons())
    await handle(processor, table, update(fields, origin, minutes=5))
    assert (len(sent.persons()) > before) is tells_the_person
    image = RecordImage.model_validate_json(table[PERSON])
    assert {k: image.fields[k] for k in fields} == fields  # the image follows Salesforce
    assert image.last_commit_ms == int((T0 + timedelta(minutes=5)).timestamp() * 1000)
