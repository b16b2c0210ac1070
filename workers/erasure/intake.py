"""Erasure requests from engine events on lawful.person-events.v1 (the executor's own group).

ERASURE_REQUESTED creates the request; identity and extension events update it. The engine
(the persons agent) folds the same events for the due date and ERASURE_DEADLINE alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import (
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureIdentityRequested,
    ErasureRequested,
    EventSource,
)
from schemas.messages import PersonMessage
from workers.erasure.store import ErasureRequest

ERASURE_KINDS = frozenset(
    {
        "ERASURE_REQUESTED",
        "ERASURE_IDENTITY_REQUESTED",
        "ERASURE_IDENTITY_RECEIVED",
        "ERASURE_EXTENSION_NOTICE",
    }
)


def request_message(individual_id: str, request_id: str, source: str) -> PersonMessage:
    """The ERASURE_REQUESTED message `lawful erase request` and `POST /v1/erasures` produce;
    `source` (e.g. `cli:operator`, `api:otto`) is recorded as the request's actor."""
    return PersonMessage(
        individual_id=individual_id,
        kind="EVENT",
        event=ErasureRequested(
            event_id=f"{source.partition(':')[0]}:erasure:{request_id}",
            occurred_at=datetime.now(UTC),
            request_id=request_id,
            source=EventSource(system=source),
        ),
    )


def request_id_of(message: PersonMessage) -> str | None:
    event = message.event
    if message.kind != "EVENT" or event is None or event.kind not in ERASURE_KINDS:
        return None
    return str(getattr(event, "request_id", "")) or None


def apply_message(current: ErasureRequest | None, message: PersonMessage) -> ErasureRequest | None:
    """The request after this event, or None when the message changes nothing."""
    event = message.event
    if isinstance(event, ErasureRequested):
        if current is not None:
            return None  # re-delivery
        actor = event.source.system if event.source else "salesforce"
        return ErasureRequest(
            request_id=event.request_id,
            individual_id=message.individual_id,
            received_at=event.occurred_at,
            actor=actor,
        )
    if current is None:
        return None
    if isinstance(event, ErasureIdentityRequested) and not current.identity_requested:
        return current.model_copy(update={"identity_requested": True})
    if isinstance(event, ErasureIdentityReceived) and current.verified_at is None:
        return current.model_copy(update={"verified_at": event.occurred_at})
    if isinstance(event, ErasureExtensionNotice) and current.extension_notified_at is None:
        return current.model_copy(update={"extension_notified_at": event.occurred_at})
    return None
