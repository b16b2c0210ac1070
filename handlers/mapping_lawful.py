"""lawful's own objects (Lawful_*__c) and platform events -> engine events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.mapping_base import RecordChange
from handlers.sf_values import instant, multi, picklist, text
from schemas.enums import Channel, DncRegister, Engagement, ObjectionStatus, SuppressionScope
from schemas.errors import InvalidInputError
from schemas.events import (
    BaseEvent,
    CallAttempted,
    DncListed,
    DncRemoved,
    EngagementRecorded,
    ErasureExecuted,
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureIdentityRequested,
    ErasureRequested,
    InCallRefusal,
    LegalHoldReleased,
    LegalHoldSet,
    MarketingObjection,
    NoticeShown,
    ProcessingObjection,
    RestrictionLifted,
    RestrictionLiftNotified,
    RestrictionSet,
    SuppressionAdded,
)
from schemas.messages import PersonMessage

Mapper = Callable[[RecordChange], list[PersonMessage]]
_ENGAGEMENT_TYPES = frozenset({*(e.value for e in Engagement), "CALL_ATTEMPT", "IN_CALL_REFUSAL"})
_OBJECTION_FIELDS = ("Kind__c", "Purpose__c", "Status__c", "Reference__c")
_NOTICE_FIELDS = ("Purpose__c", "Notice_Version__c", "Kind__c", "Shown_At__c")


def _required(fields: dict[str, Any], name: str) -> str:
    value = text(fields, name)
    if value is None:
        raise InvalidInputError(name, "required")
    return value


def _emit(change: RecordChange, events: list[BaseEvent]) -> list[PersonMessage]:
    return [change.message(event) for event in events]


def _objection(change: RecordChange) -> list[PersonMessage]:
    fields = change.after
    if change.deleted or not change.changed(_OBJECTION_FIELDS):
        return []
    kind = text(fields, "Kind__c")
    at = instant(fields, "Received_At__c") or change.version()
    common: dict[str, Any] = {"occurred_at": at, "source": change.source()}
    if kind == "DIRECT_MARKETING":
        if change.before is not None and change.before.get("Kind__c") == kind:
            return []  # absolute and emitted once
        event: BaseEvent = MarketingObjection(
            event_id=change.event_id("DM_OBJECTION", at),
            purpose_id=text(fields, "Purpose__c"),
            **common,
        )
        return _emit(change, [event])
    if kind != "GENERAL":
        raise InvalidInputError("Kind__c", f"unknown value {str(kind)[:60]!r}")
    status = picklist(fields, "Status__c", ObjectionStatus) or ObjectionStatus.PENDING
    decided = instant(fields, "Decided_At__c")
    if status is not ObjectionStatus.PENDING and decided is not None:
        common["occurred_at"] = decided
    event = ProcessingObjection(
        event_id=change.event_id(f"OBJECTION_{status.value}"),
        objection_id=change.record_id,
        purpose_id=_required(fields, "Purpose__c"),
        status=status,
        reference=text(fields, "Reference__c"),
        **common,
    )
    return _emit(change, [event])


def _restriction(change: RecordChange) -> list[PersonMessage]:
    if change.deleted:
        return []
    fields, rid, source = change.after, change.record_id, change.source()
    events: list[BaseEvent] = []
    set_at = change.appeared("Set_At__c")
    if set_at is not None:
        scope = text(fields, "Scope__c") or "PERSON"
        if scope not in ("PERSON", "PURPOSE"):
            raise InvalidInputError("Scope__c", f"unknown value {scope[:60]!r}")
        purpose = _required(fields, "Purpose__c") if scope == "PURPOSE" else None
        events.append(
            RestrictionSet(
                event_id=change.event_id("RESTRICTION_SET", set_at),
                occurred_at=set_at,
                source=source,
                restriction_id=rid,
                purpose_id=purpose,
                ground=text(fields, "Ground__c"),
            )
        )
    notified = change.appeared("Lift_Notified_At__c")
    if notified is not None:
        event_id = change.event_id("RESTRICTION_LIFT_NOTIFIED", notified)
        events.append(
            RestrictionLiftNotified(
                event_id=event_id, occurred_at=notified, source=source, restriction_id=rid
            )
        )
    lifted = change.appeared("Lifted_At__c")
    if lifted is not None:
        event_id = change.event_id("RESTRICTION_LIFTED", lifted)
        events.append(
            RestrictionLifted(
                event_id=event_id, occurred_at=lifted, source=source, restriction_id=rid
            )
        )
    return _emit(change, events)


def _erasure(change: RecordChange) -> list[PersonMessage]:
    if change.deleted:
        return []
    fields, source = change.after, change.source()
    request_id = text(fields, "Request_Id__c") or change.record_id
    events: list[BaseEvent] = []
    received = change.appeared("Received_At__c")
    if received is not None:
        events.append(
            ErasureRequested(
                event_id=f"sf:erasure:{request_id}:REQUESTED",
                occurred_at=received,
                source=source,
                request_id=request_id,
            )
        )
    steps: tuple[tuple[str, str, type[BaseEvent]], ...] = (
        ("Verification_Requested_At__c", "IDENTITY_REQUESTED", ErasureIdentityRequested),
        ("Verification_Received_At__c", "IDENTITY_RECEIVED", ErasureIdentityReceived),
    )
    for name, transition, model in steps:
        at = change.appeared(name)
        if at is not None:
            event_id = change.event_id(transition, at)
            events.append(
                model(event_id=event_id, occurred_at=at, source=source, request_id=request_id)
            )
    extended = change.appeared("Extension_Notified_At__c")
    if extended is not None:
        events.append(
            ErasureExtensionNotice(
                event_id=change.event_id("EXTENSION_NOTICE", extended),
                occurred_at=extended,
                source=source,
                request_id=request_id,
                reason=text(fields, "Extension_Reason__c") or "",
            )
        )
    executed = change.appeared("Executed_At__c")
    if executed is not None:
        events.append(
            ErasureExecuted(
                event_id=change.event_id("EXECUTED", executed),
                occurred_at=executed,
                source=source,
                request_id=request_id,
                erased_categories=multi(fields, "Erased_Categories__c"),
                retained_categories=multi(fields, "Retained_Categories__c"),
            )
        )
    return _emit(change, events)


def _hold(change: RecordChange) -> list[PersonMessage]:
    if change.deleted:
        return []
    fields, source = change.after, change.source()
    events: list[BaseEvent] = []
    set_at = change.appeared("Set_At__c")
    if set_at is not None:
        events.append(
            LegalHoldSet(
                event_id=change.event_id("LEGAL_HOLD", set_at),
                occurred_at=set_at,
                source=source,
                hold_id=change.record_id,
                claim_ref=_required(fields, "Claim_Ref__c"),
                categories=multi(fields, "Categories__c"),
                until=instant(fields, "Until__c"),
            )
        )
    released = change.appeared("Released_At__c")
    if released is not None:
        event_id = change.event_id("LEGAL_HOLD_RELEASED", released)
        events.append(
            LegalHoldReleased(
                event_id=event_id, occurred_at=released, source=source, hold_id=change.record_id
            )
        )
    return _emit(change, events)


def _dnc(change: RecordChange) -> list[PersonMessage]:
    if change.deleted:
        return []
    fields, source = change.after, change.source()
    events: list[BaseEvent] = []
    listed = change.appeared("Listed_At__c")
    register = picklist(fields, "Register__c", DncRegister)
    if register is None:
        raise InvalidInputError("Register__c", "required")
    if listed is not None:
        events.append(
            DncListed(
                event_id=change.event_id("DNC_LISTED", listed),
                occurred_at=listed,
                source=source,
                dnc_register=register,
                listed_at=listed,
                effective_from=instant(fields, "Effective_From__c"),
            )
        )
    removed = change.appeared("Removed_At__c")
    if removed is not None:
        event_id = change.event_id("DNC_REMOVED", removed)
        events.append(
            DncRemoved(event_id=event_id, occurred_at=removed, source=source, dnc_register=register)
        )
    return _emit(change, events)


def _engagement(change: RecordChange) -> list[PersonMessage]:
    fields = change.after
    kind = text(fields, "Type__c")
    if kind is None:
        raise InvalidInputError("Type__c", "required")
    if kind not in _ENGAGEMENT_TYPES:
        raise InvalidInputError("Type__c", f"unknown value {kind[:60]!r}")
    messages: list[PersonMessage] = []
    if kind == "PURCHASE":  # also a record fact: Person.purchases
        names = ("Type__c", "Product_Family__c", "Occurred_At__c")
        if change.before is None or change.deleted or change.changed(names):
            messages.append(change.fact(names))
    occurred = change.appeared("Occurred_At__c")
    if change.deleted or occurred is None:
        return messages
    common: dict[str, Any] = {
        "event_id": change.event_id(kind, occurred),
        "occurred_at": occurred,
        "source": change.source(),
        "purpose_id": text(fields, "Purpose__c"),
    }
    event: BaseEvent
    if kind == "CALL_ATTEMPT":
        event = CallAttempted(**common)
    elif kind == "IN_CALL_REFUSAL":
        event = InCallRefusal(**common)
    else:
        channel = picklist(fields, "Channel__c", Channel)
        event = EngagementRecorded(engagement=Engagement(kind), channel=channel, **common)
    messages.append(change.message(event))
    return messages


def _notice(change: RecordChange) -> list[PersonMessage]:
    fields = change.after
    if change.deleted or not change.changed(_NOTICE_FIELDS):
        return []
    shown = instant(fields, "Shown_At__c")
    purpose = text(fields, "Purpose__c")
    if shown is None or purpose is None:
        return []
    kind = text(fields, "Kind__c") or "ART13_SHOWN"
    if kind not in ("ART13_SHOWN", "ART14_SENT"):
        raise InvalidInputError("Kind__c", f"unknown value {kind[:60]!r}")
    event = NoticeShown(
        event_id=change.event_id("NOTICE"),
        occurred_at=shown,
        source=change.source(),
        purpose_id=purpose,
        notice_version=_required(fields, "Notice_Version__c"),
        art14=kind == "ART14_SENT",
    )
    return _emit(change, [event])


def _suppression(change: RecordChange) -> list[PersonMessage]:
    added = None if change.deleted else change.appeared("Added_At__c")
    if added is None:
        return []
    fields = change.after
    scope = picklist(fields, "Scope__c", SuppressionScope) or SuppressionScope.DM_ALL
    event = SuppressionAdded(
        event_id=change.event_id("SUPPRESSION", added),
        occurred_at=added,
        source=change.source(),
        scope=scope,
        identifier_hash=_required(fields, "Identifier_Hash__c"),
        reason=text(fields, "Reason__c") or "SUPPRESSION_LIST_MATCH",
    )
    return _emit(change, [event])


LAWFUL_MAPPERS: dict[str, Mapper] = {
    "Lawful_Objection__c": _objection,
    "Lawful_Restriction__c": _restriction,
    "Lawful_Erasure_Request__c": _erasure,
    "Lawful_Legal_Hold__c": _hold,
    "Lawful_DNC_Listing__c": _dnc,
    "Lawful_Engagement_Event__c": _engagement,
    "Lawful_Notice__c": _notice,
    "Lawful_Suppression__c": _suppression,
}


def erasure_platform_event(
    payload: dict[str, Any], received_at: datetime, replay_id: int | None
) -> PersonMessage | None:
    """`Lawful_Erasure_Request__e` -> ERASURE_REQUESTED for `Individual_Id__c` (None: no person)."""
    individual = text(payload, "Individual_Id__c")
    if individual is None:
        return None
    request_id = _required(payload, "Request_Id__c")
    at = instant(payload, "Received_At__c") or instant(payload, "CreatedDate") or received_at
    event = ErasureRequested(
        event_id=f"sf:erasure:{request_id}:REQUESTED", occurred_at=at, request_id=request_id
    )
    return PersonMessage(
        individual_id=individual,
        kind="EVENT",
        event=event,
        source_replay_id=replay_id,
    )
