"""The chronological stream of typed person events (discriminated by `kind`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Inbound
from schemas.enums import (
    Actor,
    Basis,
    CaptureMethod,
    Channel,
    ConsentStatus,
    DncRegister,
    Engagement,
    ObjectionStatus,
    OptOutMethod,
    SuppressionScope,
)
from schemas.person import Person


class EventSource(Inbound):
    """Where an event came from: the Salesforce record and the stream position."""

    system: str = "salesforce"
    record_id: str | None = None
    replay_id: str | None = None


class BaseEvent(Inbound):
    event_id: str = Field(min_length=1, max_length=200)
    occurred_at: AwareDatetime
    source: EventSource | None = None


class ConsentRecorded(BaseEvent):
    """A consent record for (purpose, channel) with its proof (ContactPointTypeConsent)."""

    kind: Literal["CONSENT_RECORDED"] = "CONSENT_RECORDED"
    purpose_id: str
    channel: Channel | None = Field(None, description="None: purpose-level (no contact)")
    status: ConsentStatus
    capture_source: str | None = None
    capture_method: CaptureMethod | None = None
    notice_version: str | None = None
    actor: Actor = Actor.SELF
    agent_id: str | None = None
    parental_verification_ref: str | None = None
    effective_from: AwareDatetime | None = None
    effective_to: AwareDatetime | None = None
    double_opt_in_at: AwareDatetime | None = None
    explicit: bool = False
    off_hours_calls: bool = False
    evidence_ref: str | None = None
    via_information_society_service: bool = True


class ConsentRecordDeleted(BaseEvent):
    """The ContactPointTypeConsent (the proof) was deleted: its consent is no longer relied on."""

    kind: Literal["CONSENT_RECORD_DELETED"] = "CONSENT_RECORD_DELETED"
    record_id: str = Field(min_length=1, max_length=40)
    purpose_id: str | None = Field(None, description="From the image before deletion (audit)")
    channel: Channel | None = Field(None, description="From the image before deletion (audit)")


class DoubleOptInConfirmed(BaseEvent):
    kind: Literal["DOUBLE_OPT_IN_CONFIRMED"] = "DOUBLE_OPT_IN_CONFIRMED"
    purpose_id: str
    channel: Channel


class ConsentReconfirmed(BaseEvent):
    kind: Literal["CONSENT_RECONFIRMED"] = "CONSENT_RECONFIRMED"
    purpose_id: str
    channel: Channel | None = None


class EngagementRecorded(BaseEvent):
    kind: Literal["ENGAGEMENT"] = "ENGAGEMENT"
    engagement: Engagement
    purpose_id: str | None = None
    channel: Channel | None = None


class ChannelOptedOut(BaseEvent):
    """Unsubscribe link, STOP reply, request not to be called (R4b)."""

    kind: Literal["CHANNEL_OPT_OUT"] = "CHANNEL_OPT_OUT"
    channel: Channel
    method: OptOutMethod
    purpose_id: str | None = None


class MarketingObjection(BaseEvent):
    """Art. 21(2) objection to direct marketing: absolute."""

    kind: Literal["DM_OBJECTION"] = "DM_OBJECTION"
    purpose_id: str | None = Field(None, description="None: all direct marketing")


class ProcessingObjection(BaseEvent):
    """Art. 21(1) objection and its lifecycle; the latest event per objection_id wins."""

    kind: Literal["OBJECTION"] = "OBJECTION"
    objection_id: str
    purpose_id: str
    status: ObjectionStatus
    reference: str | None = None


class RestrictionSet(BaseEvent):
    kind: Literal["RESTRICTION_SET"] = "RESTRICTION_SET"
    restriction_id: str
    purpose_id: str | None = Field(None, description="None: the whole person")
    ground: str | None = None


class RestrictionLiftNotified(BaseEvent):
    kind: Literal["RESTRICTION_LIFT_NOTIFIED"] = "RESTRICTION_LIFT_NOTIFIED"
    restriction_id: str


class RestrictionLifted(BaseEvent):
    kind: Literal["RESTRICTION_LIFTED"] = "RESTRICTION_LIFTED"
    restriction_id: str


class DncListed(BaseEvent):
    kind: Literal["DNC_LISTED"] = "DNC_LISTED"
    dnc_register: DncRegister
    listed_at: AwareDatetime
    effective_from: AwareDatetime | None = Field(None, description="Bloctel receipt date")


class DncRemoved(BaseEvent):
    kind: Literal["DNC_REMOVED"] = "DNC_REMOVED"
    dnc_register: DncRegister


class CallAttempted(BaseEvent):
    kind: Literal["CALL_ATTEMPT"] = "CALL_ATTEMPT"
    purpose_id: str | None = None


class InCallRefusal(BaseEvent):
    kind: Literal["IN_CALL_REFUSAL"] = "IN_CALL_REFUSAL"
    purpose_id: str | None = None


class NoticeShown(BaseEvent):
    """A privacy notice shown (Art. 13) or an Art. 14 notice sent."""

    kind: Literal["NOTICE"] = "NOTICE"
    purpose_id: str
    notice_version: str
    art14: bool = False


class BasisChangeRequested(BaseEvent):
    kind: Literal["BASIS_CHANGE"] = "BASIS_CHANGE"
    purpose_id: str
    new_basis: Basis
    new_purpose_with_fresh_notice: bool = False


class VitalInterestsInvoked(BaseEvent):
    kind: Literal["VITAL_INTERESTS"] = "VITAL_INTERESTS"
    purpose_id: str
    invoked_by: str
    reason_ref: str | None = None


class ErasureRequested(BaseEvent):
    kind: Literal["ERASURE_REQUESTED"] = "ERASURE_REQUESTED"
    request_id: str


class ErasureIdentityRequested(BaseEvent):
    kind: Literal["ERASURE_IDENTITY_REQUESTED"] = "ERASURE_IDENTITY_REQUESTED"
    request_id: str


class ErasureIdentityReceived(BaseEvent):
    kind: Literal["ERASURE_IDENTITY_RECEIVED"] = "ERASURE_IDENTITY_RECEIVED"
    request_id: str


class ErasureExtensionNotice(BaseEvent):
    kind: Literal["ERASURE_EXTENSION_NOTICE"] = "ERASURE_EXTENSION_NOTICE"
    request_id: str
    reason: str


class ErasureExecuted(BaseEvent):
    kind: Literal["ERASURE_EXECUTED"] = "ERASURE_EXECUTED"
    request_id: str
    erased_categories: tuple[str, ...] = ()
    retained_categories: tuple[str, ...] = ()


class LegalHoldSet(BaseEvent):
    kind: Literal["LEGAL_HOLD"] = "LEGAL_HOLD"
    hold_id: str
    claim_ref: str
    categories: tuple[str, ...]
    until: AwareDatetime | None = None


class LegalHoldReleased(BaseEvent):
    kind: Literal["LEGAL_HOLD_RELEASED"] = "LEGAL_HOLD_RELEASED"
    hold_id: str


class SuppressionAdded(BaseEvent):
    """A suppression-list match (keyed hash only, never the identifier)."""

    kind: Literal["SUPPRESSION"] = "SUPPRESSION"
    scope: SuppressionScope
    identifier_hash: str
    reason: str = "SUPPRESSION_LIST_MATCH"


class PersonUpdated(BaseEvent):
    """New facts about the person (jurisdiction, birth date, contracts, contact points…)."""

    kind: Literal["PERSON_UPDATED"] = "PERSON_UPDATED"
    person: Person


class AlertEmitted(BaseEvent):
    """Records that an alert went out, so it is never emitted twice."""

    kind: Literal["ALERT_EMITTED"] = "ALERT_EMITTED"
    alert_key: str


PersonEvent = Annotated[
    ConsentRecorded
    | ConsentRecordDeleted
    | DoubleOptInConfirmed
    | ConsentReconfirmed
    | EngagementRecorded
    | ChannelOptedOut
    | MarketingObjection
    | ProcessingObjection
    | RestrictionSet
    | RestrictionLiftNotified
    | RestrictionLifted
    | DncListed
    | DncRemoved
    | CallAttempted
    | InCallRefusal
    | NoticeShown
    | BasisChangeRequested
    | VitalInterestsInvoked
    | ErasureRequested
    | ErasureIdentityRequested
    | ErasureIdentityReceived
    | ErasureExtensionNotice
    | ErasureExecuted
    | LegalHoldSet
    | LegalHoldReleased
    | SuppressionAdded
    | PersonUpdated
    | AlertEmitted,
    Field(discriminator="kind"),
]
