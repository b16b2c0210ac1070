"""What the executor produces: engine events, Art. 19 notices, alerts, tombstones (Kafka)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from schemas.codes import AlertType
from schemas.events import ErasureExecuted, RestrictionSet
from schemas.messages import AlertMessage, PersonMessage
from schemas.outputs import Alert
from schemas.tombstone import ErasureNotification

PERSON_EVENTS = "lawful.person-events.v1"
NOTIFICATIONS = "lawful.erasure-notifications.v1"
TOMBSTONES = "lawful.tombstones.v1"
ALERTS = "lawful.alerts.v1"


class Producer(Protocol):
    """Sends one message and waits for the broker's acknowledgement."""

    async def send(self, topic: str, key: str, value: BaseModel) -> None: ...


def executed_message(
    individual_id: str,
    request_id: str,
    *,
    at: datetime,
    erased: tuple[str, ...],
    retained: tuple[str, ...],
) -> PersonMessage:
    return PersonMessage(
        individual_id=individual_id,
        kind="EVENT",
        event=ErasureExecuted(
            event_id=f"erasure-executed:{request_id}",
            occurred_at=at,
            request_id=request_id,
            erased_categories=erased,
            retained_categories=retained,
        ),
    )


def restriction_message(
    individual_id: str, request_id: str, at: datetime, retained: tuple[str, ...]
) -> PersonMessage:
    """R18: retained data may only be stored (or used for legal claims): restrict the person."""
    return PersonMessage(
        individual_id=individual_id,
        kind="EVENT",
        event=RestrictionSet(
            event_id=f"erasure-restriction:{request_id}",
            occurred_at=at,
            restriction_id=f"erasure:{request_id}",
            purpose_id=None,
            ground=f"Art. 17(3) retention after erasure {request_id}: {', '.join(retained)}",
        ),
    )


def notification(
    request_id: str,
    recipient: str,
    *,
    individual_id: str,
    at: datetime,
    erased: tuple[str, ...],
    retained: tuple[str, ...],
) -> ErasureNotification:
    return ErasureNotification(
        notification_id=f"{request_id}:{recipient}",
        request_id=request_id,
        recipient_id=recipient,
        individual_id=individual_id,
        executed_at=at,
        erased_categories=erased,
        retained_categories=retained,
        tombstone_request_id=request_id,
    )


def alert(
    kind: AlertType, individual_id: str, request_id: str, *, at: datetime, cause: str, key: str
) -> AlertMessage:
    """An operator alert (ERASURE_BLOCKED, SUPPRESSION_MATCH); `cause` says what happened."""
    return AlertMessage(
        event_id=key,
        occurred_at=at,
        type=kind,
        data=Alert(
            alert_key=key,
            type=kind,
            individual_id=individual_id,
            due_at=at,
            request_id=request_id,
            cause=cause[:500],
        ),
    )
