"""Platform events: definitions and the CometD shape of a delivered event message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.streaming.ids import schema_id
from emulator.streaming.values import wire_value

# The standard ConsentEvent (API 50.0+) and its fields.
CONSENT_EVENT_FIELDS: dict[str, str] = {
    "AssociatedIds": "string",
    "ChangeInitiator": "string",
    "ChangeTimestamp": "datetime",
    "ChangeType": "picklist",
    "ConsentCaptureSource": "string",
    "ConsentCaptureType": "string",
    "NewValues": "string",
    "ObjectName": "string",
    "RecordId": "string",
}


def event_channel(name: str) -> str:
    return f"/event/{name}"


@dataclass(frozen=True, slots=True)
class PlatformEventSource:
    """One published platform event."""

    name: str
    payload: dict[str, Any]
    event_uuid: str

    def render(self, replay_id: int) -> dict[str, Any]:
        return {
            "schema": schema_id("event", self.name),
            "payload": self.payload,
            "event": {"EventUuid": self.event_uuid, "replayId": replay_id},
        }


def event_payload(
    fields: dict[str, Any], *, created_date: str, created_by_id: str
) -> dict[str, Any]:
    """`CreatedDate`, `CreatedById`, then the event's own fields in CometD value form."""
    payload: dict[str, Any] = {"CreatedDate": created_date, "CreatedById": created_by_id}
    for name, value in fields.items():
        if name in ("attributes", "Id", "ReplayId", "EventUuid"):
            continue
        payload[name] = wire_value(value)
    return payload
