"""Record image -> person messages (salesforce/README.md): engine events and record facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from handlers.fast_models import construct
from handlers.mapping_base import RecordChange
from handlers.mapping_lawful import LAWFUL_MAPPERS
from handlers.sf_values import flag, instant, picklist, text
from schemas.enums import Actor, Basis, CaptureMethod, Channel, ConsentStatus, OptOutMethod
from schemas.errors import InvalidInputError
from schemas.events import (
    BasisChangeRequested,
    ChannelOptedOut,
    ConsentReconfirmed,
    ConsentRecordDeleted,
    ConsentRecorded,
    DoubleOptInConfirmed,
    ErasureRequested,
)
from schemas.messages import PersonMessage

Mapper = Callable[[RecordChange], list[PersonMessage]]

_STATUS = {
    "OptIn": ConsentStatus.OPT_IN,
    "OptOut": ConsentStatus.OPT_OUT,
    "Seen": ConsentStatus.SEEN,
    "NotSeen": ConsentStatus.NOT_SEEN,
}
_PENDING = frozenset({"OptInPending", "OptOutPending"})  # not consent (salesforce.md §9.12)
_TYPE_CHANNEL: dict[str, Channel | None] = {
    "Email": Channel.EMAIL,
    "MailingAddress": Channel.POST,
    "Social": Channel.SOCIAL_DM,
    "Web": None,
}
_CHANNEL_STOP = {Channel.SMS: OptOutMethod.STOP_REPLY, Channel.POST: OptOutMethod.RETURN_TO_SENDER}
CONSENT_FIELDS = (
    "DataUsePurposeId",
    "ContactPointType",
    "Lawful_Channel__c",
    "PrivacyConsentStatus",
    "CaptureDate",
    "CaptureSource",
    "Lawful_Capture_Method__c",
    "Lawful_Notice_Version__c",
    "Lawful_Actor__c",
    "Lawful_Agent_Id__c",
    "Lawful_Parental_Verification_Ref__c",
    "EffectiveFrom",
    "EffectiveTo",
    "DoubleConsentCaptureDate",
    "Lawful_Explicit__c",
    "Lawful_Off_Hours_Calls__c",
    "Lawful_Evidence_Ref__c",
)
# Fields the aggregate needs to derive `schemas.person.Person` (nothing else travels).
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "Individual": (
        "Lawful_Jurisdiction__c",
        "Lawful_Time_Zone__c",
        "BirthDate",
        "Lawful_Subscriber_Type__c",
        "Lawful_Brand__c",
        "Lawful_Third_Party_Source__c",
        "Lawful_Presumed_Consent_Ref__c",
        "ShouldForget",
    ),
    "ContactPointEmail": (
        "ParentId",
        "EmailAddress",
        "Lawful_Obtained_Via__c",
        "Lawful_Obtained_In_Sale__c",
        "Lawful_Opt_Out_Offered__c",
        "Lawful_Is_Professional__c",
    ),
    "ContactPointPhone": (
        "ParentId",
        "TelephoneNumber",
        "Lawful_Obtained_Via__c",
        "Lawful_Obtained_In_Sale__c",
        "Lawful_Opt_Out_Offered__c",
        "Lawful_Is_Professional__c",
    ),
    "ContactPointAddress": ("ParentId",),
    "Opportunity": (
        "AccountId",
        "IsWon",
        "IsClosed",
        "StageName",
        "CreatedDate",
        "Lawful_Product_Family__c",
        "Lawful_Brand__c",
        "Lawful_Contract_Start__c",
        "Lawful_Contract_End__c",
        "Lawful_Quote_Valid_Until__c",
    ),
    "OpportunityContactRole": ("OpportunityId", "ContactId"),
    "Account": ("IsPersonAccount",),
}
_OPT_OUT_FLAGS: dict[str, tuple[tuple[str, tuple[Channel, ...], OptOutMethod], ...]] = {
    "Contact": (
        ("HasOptedOutOfEmail", (Channel.EMAIL,), OptOutMethod.UNSUBSCRIBE),
        (
            "DoNotCall",
            (Channel.PHONE_LIVE, Channel.PHONE_AUTOMATED),
            OptOutMethod.DO_NOT_CALL_REQUEST,
        ),
    ),
    "Account": (
        ("PersonHasOptedOutOfEmail", (Channel.EMAIL,), OptOutMethod.UNSUBSCRIBE),
        (
            "PersonDoNotCall",
            (Channel.PHONE_LIVE, Channel.PHONE_AUTOMATED),
            OptOutMethod.DO_NOT_CALL_REQUEST,
        ),
    ),
}
_OPT_OUT_FLAGS["Lead"] = _OPT_OUT_FLAGS["Contact"]


def consent_channel(fields: dict[str, object]) -> Channel | None:
    """Lawful_Channel__c, else the ContactPointType (Phone alone cannot tell SMS from calls)."""
    channel = picklist(fields, "Lawful_Channel__c", Channel)
    if channel is not None:
        return channel
    kind = text(fields, "ContactPointType")
    if kind is None:
        return None
    if kind == "Phone":
        raise InvalidInputError("Lawful_Channel__c", "required when ContactPointType is Phone")
    if kind not in _TYPE_CHANNEL:
        raise InvalidInputError("ContactPointType", f"unknown value {kind[:60]!r}")
    return _TYPE_CHANNEL[kind]


def consent_recorded(change: RecordChange) -> ConsentRecorded | None:
    """The ContactPointTypeConsent image as a CONSENT_RECORDED (None: *Pending, no purpose)."""
    fields = change.after
    raw_status = text(fields, "PrivacyConsentStatus")
    if raw_status is None or raw_status in _PENDING:
        return None
    status = picklist(fields, "PrivacyConsentStatus", ConsentStatus, _STATUS)
    purpose_id = text(fields, "DataUsePurposeId")
    if status is None or purpose_id is None:
        return None
    captured = instant(fields, "CaptureDate")
    version = change.version()
    values = {  # every field, each already checked: built without a second validation
        "event_id": change.event_id("CONSENT_RECORDED", version),
        "occurred_at": captured or version,
        "source": change.source(),
        "kind": "CONSENT_RECORDED",
        "purpose_id": purpose_id,
        "channel": consent_channel(fields),
        "status": status,
        "capture_source": text(fields, "CaptureSource"),
        "capture_method": picklist(fields, "Lawful_Capture_Method__c", CaptureMethod),
        "notice_version": text(fields, "Lawful_Notice_Version__c"),
        "actor": picklist(fields, "Lawful_Actor__c", Actor) or Actor.SELF,
        "agent_id": text(fields, "Lawful_Agent_Id__c"),
        "parental_verification_ref": text(fields, "Lawful_Parental_Verification_Ref__c"),
        "effective_from": instant(fields, "EffectiveFrom"),
        "effective_to": instant(fields, "EffectiveTo"),
        "double_opt_in_at": instant(fields, "DoubleConsentCaptureDate"),
        "explicit": flag(fields, "Lawful_Explicit__c"),
        "off_hours_calls": flag(fields, "Lawful_Off_Hours_Calls__c"),
        "evidence_ref": text(fields, "Lawful_Evidence_Ref__c"),
        "via_information_society_service": True,
    }
    return construct(ConsentRecorded, values)


def _stop_or_return(change: RecordChange, recorded: ConsentRecorded) -> ChannelOptedOut | None:
    """An SMS STOP or a returned letter arrives as an OptOut consent on that channel
    (salesforce/README.md, CHANNEL_OPT_OUT row): also a channel opt-out, once."""
    method = _CHANNEL_STOP.get(recorded.channel) if recorded.channel is not None else None
    if method is None or recorded.status is not ConsentStatus.OPT_OUT:
        return None
    if change.before is not None and change.before.get("PrivacyConsentStatus") == "OptOut":
        return None
    return ChannelOptedOut(
        event_id=change.event_id("CHANNEL_OPT_OUT", recorded.occurred_at),
        occurred_at=recorded.occurred_at,
        source=change.source(),
        channel=recorded.channel,
        method=method,
        purpose_id=recorded.purpose_id,
    )


def consent_record_deleted(change: RecordChange) -> ConsentRecordDeleted:
    """A deleted ContactPointTypeConsent: the proof is gone (Art. 7(1)). Dated by the commit:
    a DELETE carries no fields, so the image's LastModifiedDate is the last update's."""
    image = change.before if change.before is not None else change.after
    committed = datetime.fromtimestamp(change.commit_ms / 1000, tz=UTC)
    at = max(change.version(), committed)
    try:
        channel = consent_channel(image)
    except InvalidInputError:  # an unreadable channel only loses the audit detail
        channel = None
    return ConsentRecordDeleted(
        event_id=change.event_id("CONSENT_RECORD_DELETED", at),
        occurred_at=at,
        source=change.source(),
        record_id=change.record_id,
        purpose_id=text(image, "DataUsePurposeId"),
        channel=channel,
    )


def _consent(change: RecordChange) -> list[PersonMessage]:
    if change.deleted:
        return [change.message(consent_record_deleted(change))]
    messages: list[PersonMessage] = []
    recorded = consent_recorded(change) if change.changed(CONSENT_FIELDS) else None
    if recorded is not None:
        # The confirmation first: it marks the opt-in already folded; the new version (which
        # carries the date) follows. The other order would find nothing left to confirm.
        confirmed = change.appeared("DoubleConsentCaptureDate")
        if confirmed is not None and change.before is not None and recorded.channel is not None:
            doi = DoubleOptInConfirmed(
                event_id=change.event_id("DOUBLE_OPT_IN_CONFIRMED", confirmed),
                occurred_at=confirmed,
                source=change.source(),
                purpose_id=recorded.purpose_id,
                channel=recorded.channel,
            )
            messages.append(change.message(doi))
        messages.append(change.message(recorded))
        opt_out = _stop_or_return(change, recorded)
        if opt_out is not None:
            messages.append(change.message(opt_out))
    reconfirmed = change.appeared("Lawful_Reconfirmed_At__c")
    purpose_id = text(change.after, "DataUsePurposeId")
    if reconfirmed is not None and purpose_id is not None:
        event = ConsentReconfirmed(
            event_id=change.event_id("CONSENT_RECONFIRMED", reconfirmed),
            occurred_at=reconfirmed,
            source=change.source(),
            purpose_id=purpose_id,
            channel=consent_channel(change.after),
        )
        messages.append(change.message(event))
    return messages


def _facts(change: RecordChange) -> list[PersonMessage]:
    names = FACT_FIELDS.get(change.entity, ())
    if change.before is not None and not change.deleted and not change.changed(names):
        return []
    return [change.fact(names)]


def _people(change: RecordChange) -> list[PersonMessage]:
    """Contact / Lead / person-account opt-out flags -> CHANNEL_OPT_OUT."""
    messages = _facts(change) if change.entity in FACT_FIELDS else []
    if change.deleted:
        return messages
    for name, channels, method in _OPT_OUT_FLAGS[change.entity]:
        if not change.became_true(name):
            continue
        for channel in channels:
            event = ChannelOptedOut(
                event_id=change.event_id(f"{channel.value}_OPT_OUT"),
                occurred_at=change.version(),
                source=change.source(),
                channel=channel,
                method=method,
            )
            messages.append(change.message(event))
    return messages


def _individual(change: RecordChange) -> list[PersonMessage]:
    messages = _facts(change)
    if not change.deleted and change.became_true("ShouldForget"):
        at = change.version()
        event = ErasureRequested(
            event_id=change.event_id("SHOULD_FORGET", at),
            occurred_at=at,
            source=change.source(),
            request_id=f"ShouldForget:{change.record_id}:{at.isoformat()}",
        )
        messages.append(change.message(event))
    return messages


MAPPERS: dict[str, Mapper] = {
    "ContactPointTypeConsent": _consent,
    "Individual": _individual,
    "Contact": _people,
    "Lead": _people,
    "Account": _people,
    "ContactPointEmail": _facts,
    "ContactPointPhone": _facts,
    "ContactPointAddress": _facts,
    "Opportunity": _facts,
    "OpportunityContactRole": _facts,
    **LAWFUL_MAPPERS,
}


def person_messages(change: RecordChange) -> list[PersonMessage]:
    """The messages one record change means for one person (an unknown object: none)."""
    mapper = MAPPERS.get(change.entity)
    return mapper(change) if mapper is not None else []


def basis_change(change: RecordChange) -> BasisChangeRequested | None:
    """An UPDATE of `DataUsePurpose.Lawful_Basis__c` (BASIS_CHANGE row): an event for every
    person of the purpose, which the worker fans out (the replica knows no person list)."""
    if change.before is None or change.deleted or not change.changed(("Lawful_Basis__c",)):
        return None
    new_basis = picklist(change.after, "Lawful_Basis__c", Basis)
    if new_basis is None:
        return None
    return BasisChangeRequested(
        event_id=change.event_id("BASIS_CHANGE"),
        occurred_at=change.version(),
        source=change.source(),
        purpose_id=change.record_id,
        new_basis=new_basis,
    )


def removal_message(change: RecordChange) -> PersonMessage:
    """Tell a person a record no longer belongs to them (re-parenting, merge)."""
    return change.fact(FACT_FIELDS.get(change.entity, ()), deleted=True)
