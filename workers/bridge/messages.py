"""CometD messages -> `SalesforceEvent` records for Kafka (topic, key, value).

A CDC change fans out to one message per record id (key = record id, so all changes of a record
stay in one partition, in order); GAP_OVERFLOW has no real ids and is keyed by its entity. A
platform event goes to lawful.sf-events.v1 keyed by its EventUuid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.messages import SalesforceEvent
from workers.settings import BridgeSettings

CDC_TOPIC = "lawful.sf-cdc.v1"
EVENTS_TOPIC = "lawful.sf-events.v1"
ALL_CHANGE_EVENTS = "/data/ChangeEvents"
OVERFLOW_RECORD_ID = "000000000000000AAA"
MAX_VALUE_BYTES = 1_000_000  # below Kafka's default 1 MiB message limit, with room for headers


@dataclass(frozen=True)
class Outgoing:
    """One Kafka record to produce: topic (without prefix), key and the message."""

    topic: str
    key: str
    event: SalesforceEvent

    def value(self) -> bytes:
        return self.event.model_dump_json().encode()


def as_gap(outgoing: Outgoing) -> Outgoing:
    """The same change as a header-only GAP_* event (the worker re-reads the record), for a
    message too large for the broker; Salesforce does the same for events over 1 MB."""
    event = outgoing.event
    header = dict(event.payload.get("ChangeEventHeader") or {})
    kind = str(header.get("changeType") or event.change_type or "UPDATE")
    gap = kind if kind.startswith("GAP_") else f"GAP_{kind}"
    header.update(changeType=gap, changedFields=[])
    smaller = event.model_copy(
        update={"change_type": gap, "payload": {"ChangeEventHeader": header}}
    )
    return Outgoing(outgoing.topic, outgoing.key, smaller)


def change_event_channel(entity: str) -> str:
    """`/data/ContactChangeEvent`, `/data/Lawful_LIA__ChangeEvent` (custom: `__c` -> `__`)."""
    base = entity[:-1] if entity.endswith("__c") else entity
    return f"/data/{base}ChangeEvent"


def custom_channel(settings: BridgeSettings) -> str:
    """`/data/Lawful__chn`: the custom channel of the `custom` mode."""
    return f"/data/{settings.custom_channel}"


def subscribed_channels(settings: BridgeSettings) -> list[str]:
    """The CDC channel(s) of the configured mode, then one channel per platform event."""
    if settings.cdc_channel_mode == "all":
        cdc = [ALL_CHANGE_EVENTS]
    elif settings.cdc_channel_mode == "custom":
        # Only lawful's entities are members: the org's other CDC entities are never delivered,
        # which saves the daily event-delivery allocation (salesforce.md §3.1).
        cdc = [custom_channel(settings)]
    else:
        cdc = [change_event_channel(entity) for entity in settings.entities]
    return [*cdc, *(f"/event/{name}" for name in settings.platform_events)]


def entities_of_channel(channel: str, settings: BridgeSettings) -> list[str]:
    """Entities whose events a channel carries (what to reconcile when its position is lost)."""
    if channel in (ALL_CHANGE_EVENTS, custom_channel(settings)):
        return list(settings.entities)
    if channel.startswith("/event/"):
        event = channel.removeprefix("/event/")
        # lawful's erasure requests also exist as records; ConsentEvent mirrors CDC'd objects.
        record = event.removesuffix("__e") + "__c" if event.endswith("__e") else None
        return [record] if record in settings.entities else []
    return [entity for entity in settings.entities if change_event_channel(entity) == channel]


def from_stream(
    channel: str, message: Mapping[str, Any], *, received_at: datetime, entities: Iterable[str]
) -> list[Outgoing]:
    """Messages for one delivered CometD event; [] for a CDC entity lawful does not follow."""
    data = message["data"]
    payload: dict[str, Any] = dict(data["payload"])
    replay_id = int(data["event"]["replayId"])
    if channel.startswith("/event/"):
        uuid = str(payload.get("EventUuid") or f"{channel}:{replay_id}")
        event = SalesforceEvent(
            channel=channel,
            replay_id=replay_id,
            entity=channel.removeprefix("/event/"),
            payload=payload,
            event_uuid=uuid,
            received_at=received_at,
        )
        return [Outgoing(EVENTS_TOPIC, uuid, event)]
    header: Mapping[str, Any] = payload.get("ChangeEventHeader") or {}
    entity = str(header.get("entityName", ""))
    if entity not in set(entities):
        return []
    change_type = str(header.get("changeType", ""))

    def one(record_id: str | None, key: str) -> Outgoing:
        event = SalesforceEvent(
            channel=channel,
            replay_id=replay_id,
            record_id=record_id,
            entity=entity,
            change_type=change_type,
            payload=payload,
            received_at=received_at,
        )
        return Outgoing(CDC_TOPIC, key, event)

    if change_type == "GAP_OVERFLOW":
        return [one(None, entity)]
    record_ids: Sequence[str] = header.get("recordIds") or []
    return [one(str(record_id), str(record_id)) for record_id in record_ids]


def resync_requests(
    channel: str, entities: Iterable[str], *, received_at: datetime
) -> list[Outgoing]:
    """One GAP_OVERFLOW per entity (origin "resync"): the worker reconciles it from SOQL."""
    stamp = int(received_at.timestamp() * 1000)
    out = []
    for entity in entities:
        header = {
            "entityName": entity,
            "changeType": "GAP_OVERFLOW",
            "changeOrigin": "",
            "recordIds": [OVERFLOW_RECORD_ID],
            "commitTimestamp": stamp,
            "changedFields": [],
        }
        event = SalesforceEvent(
            channel=channel,
            entity=entity,
            change_type="GAP_OVERFLOW",
            payload={"ChangeEventHeader": header},
            received_at=received_at,
            origin="resync",
        )
        out.append(Outgoing(CDC_TOPIC, entity, event))
    return out
