"""Delivered message shapes checked against the reference's examples (§2.7, §3.2-3.3, §4.2)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from emulator.changes import RecordChange, Transaction
from emulator.streaming import StreamingConfig, StreamingHub
from emulator.streaming.platform_events import CONSENT_EVENT_FIELDS
from emulator.streaming.testing import ManualClock

pytestmark = pytest.mark.unit

# §3.3 ChangeEventHeader fields a CometD client sees (nulledFields/diffFields are Pub/Sub only).
COMETD_HEADER_FIELDS = {
    "entityName",
    "recordIds",
    "changeType",
    "changeOrigin",
    "transactionKey",
    "sequenceNumber",
    "commitTimestamp",
    "commitNumber",
    "commitUser",
    "changedFields",
}
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def make_hub() -> StreamingHub:
    hub = StreamingHub(StreamingConfig(), ManualClock(1_721_136_550.0))
    hub.register_cdc_entity("Contact")
    hub.register_platform_event(
        "Consent_Expiry_Alert__e",
        {"Individual_Id__c": "string", "Expires_On__c": "datetime", "Channel__c": "string"},
    )
    return hub


def delivered(hub: StreamingHub, channel: str) -> list[dict[str, Any]]:
    return [{"channel": channel, "data": e.data()} for e in hub.bus.read(channel, 0, 100)]


def contact_update() -> RecordChange:
    return RecordChange(
        entity="Contact",
        change_type="UPDATE",
        record_id="0035g00000XyZ1aAAF",
        values={"Email": "maria.keller@example.org", "LastModifiedDate": "2024-07-16T13:29:10Z"},
        nulled=(),
        transaction_key="0000d978-0333-d593-c68b-98759eaddd49",
        commit_timestamp_ms=1_721_136_550_000,
        commit_number=1_721_136_551_405_445_123,
        commit_user="0055g00000B7cRzAAJ",
        change_origin="com/salesforce/api/rest/59.0;client=gdpr-worker",
        sequence_number=1,
    )


def test_cdc_message_matches_the_reference_envelope() -> None:
    hub = make_hub()
    hub.transaction_committed(Transaction("tx", (contact_update(),)))
    (message,) = delivered(hub, "/data/ContactChangeEvent")
    assert set(message) == {"channel", "data"}
    assert set(message["data"]) == {"schema", "payload", "event"}
    assert set(message["data"]["event"]) == {"replayId"}
    payload = message["data"]["payload"]
    assert set(payload["ChangeEventHeader"]) == COMETD_HEADER_FIELDS
    assert payload["Email"] == "maria.keller@example.org"
    assert isinstance(payload["ChangeEventHeader"]["commitTimestamp"], int)
    (everything,) = delivered(hub, "/data/ChangeEvents")
    assert everything["data"] == message["data"]


def test_platform_event_message_matches_the_reference() -> None:
    hub = make_hub()
    event_uuid = hub.publish_platform_event(
        "Consent_Expiry_Alert__e",
        {"Individual_Id__c": "0PK5g000000QrStGAK", "Channel__c": "Email"},
    )
    (message,) = delivered(hub, "/event/Consent_Expiry_Alert__e")
    data = message["data"]
    assert set(data) == {"schema", "payload", "event"}
    assert set(data["event"]) == {"EventUuid", "replayId"}
    assert data["event"]["EventUuid"] == event_uuid
    assert ISO_Z.fullmatch(data["payload"]["CreatedDate"])
    assert data["payload"]["CreatedDate"].startswith("2024-07-16T13:29:10")
    assert data["payload"]["CreatedById"] == StreamingConfig().default_user_id
    assert data["payload"]["Expires_On__c"] is None


def test_standard_consent_event_is_predefined() -> None:
    hub = make_hub()
    assert hub.channel_exists("/event/ConsentEvent")
    hub.publish_platform_event("ConsentEvent", {"RecordId": "0035g00000XyZ1aAAF"})
    (message,) = delivered(hub, "/event/ConsentEvent")
    assert set(CONSENT_EVENT_FIELDS) <= set(message["data"]["payload"])


def test_channel_existence_rules() -> None:
    hub = make_hub()
    hub.register_cdc_entity("Consent_Record__c")
    assert hub.channel_exists("/data/ChangeEvents")
    assert hub.channel_exists("/data/ContactChangeEvent")
    assert hub.channel_exists("/data/Consent_Record__ChangeEvent")
    assert not hub.channel_exists("/data/LeadChangeEvent")
    assert not hub.channel_exists("/data/contactchangeevent")
    assert not hub.channel_exists("/event/Unknown__e")


def test_commits_from_other_threads_are_safe_without_a_running_server() -> None:
    hub = make_hub()

    def commit_many(offset: int) -> None:
        for index in range(500):
            change = contact_update()
            key = f"tx-{offset}-{index}"
            hub.transaction_committed(Transaction(key, (change,)))

    threads = [threading.Thread(target=commit_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [e.replay_id for e in hub.bus.read("/data/ContactChangeEvent", 0, 10_000)]
    assert len(ids) == 2000
    assert ids == sorted(set(ids))
