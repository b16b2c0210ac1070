"""salesforce/README.md mapping rows of the consent model and the people objects (consents,
opt-out flags, Individual, contact points) -> engine events / record facts."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.records import RecordUpdate
from schemas.enums import (
    Actor,
    CaptureMethod,
    Channel,
    ConsentStatus,
    OptOutMethod,
)
from schemas.errors import InvalidInputError
from schemas.events import (
    BaseEvent,
    ChannelOptedOut,
    ConsentReconfirmed,
    ConsentRecorded,
    DoubleOptInConfirmed,
    ErasureRequested,
)
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    days,
    individual_fields,
    iso,
    snapshot,
)
from workers.backfill.shape import snapshot_event

pytestmark = pytest.mark.unit

CONSENT = "0ZY000000000001AAA"
RECORD = "a01000000000001AAA"


def events(update: RecordUpdate) -> list[BaseEvent]:
    return [m.event for m in update.messages if m.event is not None]


def only(update: RecordUpdate) -> BaseEvent:
    (event,) = events(update)
    return event


def lawful(
    entity: str, fields: dict[str, Any], replica: Replica | None = None, **kw: Any
) -> RecordUpdate:
    replica = replica or Replica()
    return replica.apply(cdc(entity, "CREATE", RECORD, {"Individual__c": PERSON, **fields}, **kw))


# --- ContactPointTypeConsent ---------------------------------------------------------------


def test_consent_record_maps_every_field() -> None:
    fields = consent_fields(
        "pet-mkt",
        Lawful_Actor__c="PARENT",
        Lawful_Agent_Id__c="agent-7",
        Lawful_Parental_Verification_Ref__c="PV-1",
        EffectiveFrom=iso(T0),
        EffectiveTo=iso(T0 + days(365)),
        Lawful_Explicit__c=True,
        Lawful_Off_Hours_Calls__c=True,
        Lawful_Evidence_Ref__c="EV-1",
    )
    event = only(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields)))
    assert isinstance(event, ConsentRecorded)
    assert event.purpose_id == "pet-mkt"
    assert event.channel is Channel.EMAIL
    assert event.status is ConsentStatus.OPT_IN
    assert event.occurred_at == T0
    assert event.capture_source == "https://example.org/form"
    assert event.capture_method is CaptureMethod.CHECKBOX_UNTICKED
    assert event.notice_version == "v1"
    assert event.actor is Actor.PARENT
    assert event.agent_id == "agent-7"
    assert event.parental_verification_ref == "PV-1"
    assert event.effective_to == T0 + days(365)
    assert event.explicit
    assert event.off_hours_calls
    assert event.evidence_ref == "EV-1"
    assert event.source is not None
    assert event.source.record_id == CONSENT


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("OptIn", ConsentStatus.OPT_IN),
        ("OptOut", ConsentStatus.OPT_OUT),
        ("Seen", ConsentStatus.SEEN),
        ("NotSeen", ConsentStatus.NOT_SEEN),
    ],
)
def test_consent_status_picklist(raw: str, status: ConsentStatus) -> None:
    fields = consent_fields("pet-mkt", status=raw)
    event = only(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields)))
    assert isinstance(event, ConsentRecorded)
    assert event.status is status


@pytest.mark.parametrize("pending", ["OptInPending", "OptOutPending"])
def test_pending_values_are_not_consent(pending: str) -> None:
    fields = consent_fields("pet-mkt", status=pending)
    assert events(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields))) == []


def test_unknown_picklist_value_names_the_field() -> None:
    fields = consent_fields("pet-mkt", status="Maybe")
    with pytest.raises(InvalidInputError) as caught:
        Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields))
    assert caught.value.field == "PrivacyConsentStatus"
    bad_method = consent_fields("pet-mkt", Lawful_Capture_Method__c="TELEPATHY")
    with pytest.raises(InvalidInputError, match="Lawful_Capture_Method__c"):
        Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, bad_method))


@pytest.mark.parametrize(
    ("kind", "channel"),
    [("Email", Channel.EMAIL), ("MailingAddress", Channel.POST), ("Social", Channel.SOCIAL_DM)],
)
def test_channel_from_contact_point_type(kind: str, channel: Channel) -> None:
    fields = consent_fields("pet-mkt", channel=None, ContactPointType=kind)
    event = only(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields)))
    assert isinstance(event, ConsentRecorded)
    assert event.channel is channel


def test_phone_needs_the_lawful_channel() -> None:
    fields = consent_fields("pet-mkt", channel=None, ContactPointType="Phone")
    with pytest.raises(InvalidInputError) as caught:
        Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields))
    assert caught.value.field == "Lawful_Channel__c"
    sms = consent_fields("pet-mkt", channel="SMS", ContactPointType="Phone")
    event = only(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, sms)))
    assert isinstance(event, ConsentRecorded)
    assert event.channel is Channel.SMS


@pytest.mark.parametrize(
    ("channel", "method"),
    [("SMS", OptOutMethod.STOP_REPLY), ("POST", OptOutMethod.RETURN_TO_SENDER)],
)
def test_sms_stop_and_returned_post_are_channel_opt_outs(
    channel: str, method: OptOutMethod
) -> None:
    replica = Replica()
    replica.apply(
        cdc(
            "ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt", channel=channel)
        )
    )
    later = T0 + days(2)
    change = {"PrivacyConsentStatus": "OptOut", "CaptureDate": iso(later)}
    update = replica.apply(cdc("ContactPointTypeConsent", "UPDATE", CONSENT, change, at=later))
    recorded, opt_out = events(update)
    assert isinstance(recorded, ConsentRecorded)
    assert recorded.status is ConsentStatus.OPT_OUT
    assert isinstance(opt_out, ChannelOptedOut)
    assert (opt_out.channel.value, opt_out.method, opt_out.purpose_id) == (
        channel,
        method,
        "pet-mkt",
    )
    renamed = replica.apply(
        cdc(
            "ContactPointTypeConsent", "UPDATE", CONSENT, {"CaptureSource": "x"}, at=later + days(1)
        )
    )
    assert not any(isinstance(e, ChannelOptedOut) for e in events(renamed))


def test_email_opt_out_consent_is_not_a_channel_opt_out() -> None:
    fields = consent_fields("pet-mkt", status="OptOut")
    event = only(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields)))
    assert isinstance(event, ConsentRecorded)


def test_double_opt_in_appearing_confirms() -> None:
    replica = Replica()
    replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt")))
    confirmed = T0 + days(1)
    update = replica.apply(
        cdc(
            "ContactPointTypeConsent",
            "UPDATE",
            CONSENT,
            {"DoubleConsentCaptureDate": iso(confirmed)},
            at=confirmed,
        )
    )
    doi, recorded = events(update)
    assert isinstance(recorded, ConsentRecorded)
    assert recorded.double_opt_in_at == confirmed
    assert isinstance(doi, DoubleOptInConfirmed)
    assert (doi.purpose_id, doi.channel, doi.occurred_at) == ("pet-mkt", Channel.EMAIL, confirmed)


def test_reconfirmation() -> None:
    replica = Replica()
    replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt")))
    at = T0 + days(200)
    update = replica.apply(
        cdc(
            "ContactPointTypeConsent",
            "UPDATE",
            CONSENT,
            {"Lawful_Reconfirmed_At__c": iso(at)},
            at=at,
        )
    )
    event = only(update)
    assert isinstance(event, ConsentReconfirmed)
    assert (event.purpose_id, event.channel, event.occurred_at) == ("pet-mkt", Channel.EMAIL, at)


def test_an_irrelevant_update_emits_nothing() -> None:
    replica = Replica()
    replica.apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt")))
    update = replica.apply(
        cdc("ContactPointTypeConsent", "UPDATE", CONSENT, {"Name": "renamed"}, at=T0 + days(1))
    )
    assert update.messages == ()


def test_event_ids_are_the_same_from_stream_and_backfill() -> None:
    stream = only(
        Replica().apply(
            cdc("ContactPointTypeConsent", "CREATE", CONSENT, consent_fields("pet-mkt"), at=T0)
        )
    )
    backfill = only(
        Replica().apply(
            snapshot("ContactPointTypeConsent", CONSENT, consent_fields("pet-mkt"), at=T0)
        )
    )
    assert stream.event_id == backfill.event_id
    replayed = only(
        Replica().apply(
            cdc(
                "ContactPointTypeConsent",
                "CREATE",
                CONSENT,
                consent_fields("pet-mkt"),
                at=T0,
                replay=1,
            )
        )
    )
    assert replayed.event_id == stream.event_id


# --- people objects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "flag", "lookup"),
    [
        ("Contact", "HasOptedOutOfEmail", "IndividualId"),
        ("Lead", "HasOptedOutOfEmail", "IndividualId"),
        ("Account", "PersonHasOptedOutOfEmail", "PersonIndividualId"),
    ],
)
def test_email_opt_out_flag(entity: str, flag: str, lookup: str) -> None:
    replica = Replica()
    rid = "003000000000009AAA"
    replica.apply(cdc(entity, "CREATE", rid, {lookup: PERSON, flag: False}))
    update = replica.apply(cdc(entity, "UPDATE", rid, {flag: True}, at=T0 + days(1)))
    opt_outs = [e for e in events(update) if isinstance(e, ChannelOptedOut)]
    assert [(e.channel, e.method) for e in opt_outs] == [(Channel.EMAIL, OptOutMethod.UNSUBSCRIBE)]
    assert all(m.individual_id == PERSON for m in update.messages)


@pytest.mark.parametrize(
    ("entity", "flag"), [("Contact", "DoNotCall"), ("Account", "PersonDoNotCall")]
)
def test_do_not_call_flag(entity: str, flag: str) -> None:
    lookup = "PersonIndividualId" if entity == "Account" else "IndividualId"
    update = Replica().apply(
        cdc(entity, "CREATE", "001000000000009AAA", {lookup: PERSON, flag: True})
    )
    opt_outs = [e for e in events(update) if isinstance(e, ChannelOptedOut)]
    assert {(e.channel, e.method) for e in opt_outs} == {
        (Channel.PHONE_LIVE, OptOutMethod.DO_NOT_CALL_REQUEST),
        (Channel.PHONE_AUTOMATED, OptOutMethod.DO_NOT_CALL_REQUEST),
    }


def test_individual_is_a_record_fact_and_should_forget_requests_erasure() -> None:
    replica = Replica()
    created = replica.apply(cdc("Individual", "CREATE", PERSON, individual_fields()))
    assert [m.kind for m in created.messages] == ["RECORD_FACT"]
    forget = replica.apply(
        cdc("Individual", "UPDATE", PERSON, {"ShouldForget": True}, at=T0 + days(1))
    )
    (event,) = events(forget)
    assert isinstance(event, ErasureRequested)
    assert event.occurred_at == T0 + days(1)


@pytest.mark.parametrize(
    ("entity", "value_field"),
    [
        ("ContactPointEmail", "EmailAddress"),
        ("ContactPointPhone", "TelephoneNumber"),
        ("ContactPointAddress", None),
    ],
)
def test_contact_points_are_record_facts(entity: str, value_field: str | None) -> None:
    fields: dict[str, Any] = {"ParentId": PERSON, "Lawful_Obtained_Via__c": "SALE"}
    if value_field:
        fields[value_field] = "secret-value"
    update = Replica().apply(cdc(entity, "CREATE", "9CE000000000001AAA", fields))
    (message,) = update.messages
    assert message.kind == "RECORD_FACT"
    assert message.individual_id == PERSON
    assert message.record is not None
    assert message.record.entity == entity


def test_the_backfill_shape_gives_the_stream_event_ids() -> None:
    """A REST record shaped by `lawful backfill` maps to the same events as its CDC CREATE."""
    fields = consent_fields("pet-mkt", EffectiveTo=iso(T0 + days(90)))
    stream = events(Replica().apply(cdc("ContactPointTypeConsent", "CREATE", CONSENT, fields)))
    rest_record = {
        "attributes": {"type": "ContactPointTypeConsent"},
        "Id": CONSENT,
        "LastModifiedDate": iso(T0).replace("Z", "+0000"),
        "SystemModstamp": iso(T0).replace("Z", "+0000"),
        "IsDeleted": False,
        "DoubleConsentCaptureDate": None,
        **{
            k: (v.replace("Z", "+0000") if isinstance(v, str) and v.endswith("Z") else v)
            for k, v in fields.items()
        },
    }
    shaped = snapshot_event("ContactPointTypeConsent", rest_record, received_at=T0 + days(1))
    backfill = events(Replica().apply(shaped))
    assert [e.event_id for e in backfill] == [e.event_id for e in stream]
    assert [e.model_dump(exclude={"source"}) for e in backfill] == [
        e.model_dump(exclude={"source"}) for e in stream
    ]
