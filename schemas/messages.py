"""Messages on lawful's Kafka topics (the contracts between the bridge, the workers and
downstream consumers). Topic names carry the version; JSON Schemas live in schemas/json/.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.base import Inbound, Outbound
from schemas.codes import AlertType, Reason
from schemas.enums import Basis, Channel
from schemas.events import PersonEvent
from schemas.outputs import Alert

# ---- inbound: lawful.sf-cdc.v1 / lawful.sf-events.v1 (written by the bridge and backfill) ----


class SalesforceEvent(Inbound):
    """One Salesforce event as the bridge received it, keyed by `record_id` (CDC fans out one
    message per record id of a merged change) or by the entity for GAP_OVERFLOW, or by the
    EventUuid for platform events."""

    channel: str
    replay_id: int | None = Field(None, description="None for backfill snapshots")
    record_id: str | None = None
    entity: str | None = None
    change_type: str | None = Field(
        None, description="CREATE/UPDATE/DELETE/UNDELETE/GAP_*/GAP_OVERFLOW, or SNAPSHOT"
    )
    payload: dict[str, Any] = Field(description="CometD data.payload exactly as received")
    event_uuid: str | None = None
    received_at: AwareDatetime
    origin: Literal["stream", "backfill", "resync"] = "stream"


# ---- internal: lawful.person-events.v1 (record replica -> person aggregate), keyed by person --


class RecordFact(Inbound):
    """The current image of one Salesforce record that describes a person (Individual, contact
    points, opportunities...), from which the aggregate derives `schemas.person.Person`."""

    entity: str
    record_id: str
    fields: dict[str, Any]
    deleted: bool = False
    commit_ms: int | None = None


class PersonMessage(Inbound):
    """One message for the person aggregate: an engine event, a record fact, or a timer tick."""

    individual_id: str
    kind: Literal["EVENT", "RECORD_FACT", "TICK"]
    event: PersonEvent | None = None
    record: RecordFact | None = None
    tick_at: AwareDatetime | None = None
    source_record_id: str | None = None
    source_replay_id: int | None = None


class PersonMessages(Inbound):
    """Several person messages for one partition of lawful.person-events.v1, in order, as one
    Kafka message: what the worker produces per batch and partition (one message to store,
    fetch and deliver instead of one per person message). Its JSON starts with
    `PERSON_MESSAGES_PREFIX`; readers take either form (`person_messages`)."""

    kind: Literal["BATCH"]
    messages: list[PersonMessage] = Field(min_length=1)


PERSON_MESSAGES_PREFIX = b'{"kind":"BATCH","messages":['
"""How every `PersonMessages` value starts (`encode_person_messages`)."""

PersonEventsValue = Annotated[PersonMessage | PersonMessages, Field(discriminator="kind")]
"""A lawful.person-events.v1 value: one person message, or several."""

_PERSON_EVENTS_VALUE: TypeAdapter[PersonMessage | PersonMessages] = TypeAdapter(PersonEventsValue)


def encode_person_messages(messages: Sequence[bytes]) -> bytes:
    """One `PersonMessages` value from person messages already encoded as JSON objects."""
    return b"".join((PERSON_MESSAGES_PREFIX, b",".join(messages), b"]}"))


def person_messages(raw: bytes) -> list[PersonMessage]:
    """The person messages of a lawful.person-events.v1 value (raises ValidationError)."""
    value = _PERSON_EVENTS_VALUE.validate_json(raw)
    return value.messages if isinstance(value, PersonMessages) else [value]


# ---- outbound -----------------------------------------------------------------------------


class PermissionCell(Outbound):
    purpose_id: str
    channel: Channel | None
    permitted: bool
    reason: Reason
    rule: str
    row: str | None
    effective_basis: Basis | None
    valid_until: AwareDatetime | None
    secondary_reasons: tuple[Reason, ...] = ()


class PurposeInfo(Outbound):
    """What a consumer needs to filter by purpose without the catalogue: its category and parent."""

    purpose_id: str
    category: str
    parent_id: str | None = None
    product_family: str | None = None


class PermissionsSnapshot(Outbound):
    """lawful.permissions.v1 (compacted, key = Individual id): the whole current matrix."""

    schema_version: Literal[1] = 1
    individual_id: str
    org_id: str | None = None
    brand: str | None = None
    jurisdiction: str | None = None
    evaluated_at: AwareDatetime
    erased: bool = False
    purposes: tuple[PurposeInfo, ...]
    cells: tuple[PermissionCell, ...]
    next_horizon: AwareDatetime | None = Field(
        None, description="The earliest instant at which a cell may change without a new event"
    )


class Trigger(Outbound):
    event_id: str | None = None
    kind: str | None = None
    record_id: str | None = None
    replay_id: int | None = None


class PermissionChange(Outbound):
    """lawful.permission-changes.v1 (key = Individual id): one message per changed cell."""

    schema_version: Literal[1] = 1
    individual_id: str
    purpose_id: str
    channel: Channel | None
    before: PermissionCell | None
    after: PermissionCell
    changed_at: AwareDatetime
    trigger: Trigger


class AlertMessage(Outbound):
    """lawful.alerts.v1 (key = Individual id): one alert, emitted once (event_id = alert key)."""

    schema_version: Literal[1] = 1
    event_id: str
    occurred_at: AwareDatetime
    source: str = "lawful"
    type: AlertType
    data: Alert


class DeadLetter(Outbound):
    """lawful.dlq.v1: a message that could not be processed, with where it came from."""

    schema_version: Literal[1] = 1
    topic: str
    partition: int
    offset: int
    key: str | None
    error_type: str
    error: str
    failed_at: AwareDatetime
    payload_base64: str = Field(description="The raw value; never written to logs")
