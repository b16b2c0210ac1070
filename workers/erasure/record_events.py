"""The engine events the pipeline reads from the person's consent and engagement records
(`handlers.mapping.person_messages`, the same mapping as the records agent), for planning."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from handlers.mapping import person_messages
from handlers.mapping_base import RecordChange
from schemas.errors import LawfulError
from schemas.events import BaseEvent
from schemas.policy import Policy

log = structlog.get_logger("lawful.erasure")
# Records whose events decide retention: consents (grants) and engagements (calls, UWG §7a).
EVENT_OBJECTS = ("ContactPointTypeConsent", "Lawful_Engagement_Event__c")


def _change(entity: str, individual_id: str, record: Mapping[str, Any]) -> RecordChange:
    fields = {k: v for k, v in record.items() if k != "Id"}
    return RecordChange(
        entity=entity,
        record_id=str(record["Id"]),
        before=None,
        after=fields,
        deleted=False,
        commit_ms=0,
        replay_id=None,
        individual_id=individual_id,
    )


def record_events(
    individual_id: str, graph: Mapping[str, Iterable[Mapping[str, Any]]], policy: Policy
) -> list[BaseEvent]:
    """Events of the graph's consents and engagements whose purpose the catalogue knows; a
    record the mapping refuses, or of an unknown purpose, is left out (and counted in the log)."""
    events: list[BaseEvent] = []
    refused = unknown = 0
    for entity in EVENT_OBJECTS:
        for record in graph.get(entity, ()):
            try:
                messages = person_messages(_change(entity, individual_id, record))
            except (LawfulError, ValueError):
                refused += 1
                continue
            for message in messages:
                event = message.event
                if message.kind != "EVENT" or event is None:
                    continue
                purpose = getattr(event, "purpose_id", None)
                if purpose is not None and purpose not in policy.purposes:
                    unknown += 1
                    continue
                events.append(event)
    if refused or unknown:
        log.warning("erasure_events_skipped", refused=refused, unknown_purpose=unknown)
    return events
