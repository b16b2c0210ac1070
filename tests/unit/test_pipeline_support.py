"""Builders for the pipeline tests: CometD CDC messages, backfill snapshots, a policy.

Also checks the builders' shapes against the wire rules they imitate (salesforce.md §3).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.records import RecordUpdate, apply_salesforce_event
from handlers.resolve import Links
from schemas.messages import SalesforceEvent
from schemas.records import RecordImage
from tests.unit.builders import policy as engine_policy

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PERSON = "0PK000000000001AAA"
OTHER = "0PK000000000002AAA"
_replay = itertools.count(1000)
_tx = itertools.count(1)


def iso(moment: datetime) -> str:
    """CometD datetime rendering: `2026-01-01T00:00:00.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def rest(moment: datetime) -> str:
    """REST datetime rendering: `2026-01-01T00:00:00.000+0000`."""
    return iso(moment)[:-1] + "+0000"


def cdc(
    entity: str,
    change: str,
    record_id: str,
    fields: dict[str, Any] | None = None,
    *,
    at: datetime = T0,
    tx: str | None = None,
    seq: int = 1,
    replay: int | None = None,
    changed: list[str] | None = None,
) -> SalesforceEvent:
    """A CDC message as the bridge writes it (one record id), LastModifiedDate = `at`."""
    body = dict(fields or {})
    if change in ("CREATE", "UPDATE", "UNDELETE"):
        body.setdefault("LastModifiedDate", iso(at))
    header = {
        "entityName": entity,
        "changeType": change,
        "changedFields": changed
        if changed is not None
        else ([*body] if change == "UPDATE" else []),
        "changeOrigin": "com/salesforce/api/rest/59.0;client=test",
        "transactionKey": tx or f"0000{next(_tx):04x}-0333-d593-c68b-98759eaddd49",
        "sequenceNumber": seq,
        "commitTimestamp": int(at.timestamp() * 1000),
        "commitNumber": 1721136551405445123,
        "commitUser": "005000000000001AAA",
        "recordIds": [record_id],
    }
    return SalesforceEvent(
        channel=f"/data/{entity[:-1] if entity.endswith('__c') else entity}ChangeEvent",
        replay_id=replay if replay is not None else next(_replay),
        record_id=record_id,
        entity=entity,
        change_type=change,
        payload={"ChangeEventHeader": header, **body},
        received_at=at,
    )


def snapshot(
    entity: str, record_id: str, fields: dict[str, Any], *, at: datetime = T0
) -> SalesforceEvent:
    """A backfill message: REST-shaped record fields plus a CREATE-like header."""
    body = {
        "attributes": {
            "type": entity,
            "url": f"/services/data/v59.0/sobjects/{entity}/{record_id}",
        },
        "Id": record_id,
        "LastModifiedDate": rest(at),
        "SystemModstamp": rest(at),
        **fields,
    }
    header = {
        "entityName": entity,
        "changeType": "SNAPSHOT",
        "changedFields": [],
        "commitTimestamp": int(at.timestamp() * 1000),
        "recordIds": [record_id],
    }
    return SalesforceEvent(
        channel="backfill",
        replay_id=None,
        record_id=record_id,
        entity=entity,
        change_type="SNAPSHOT",
        payload={"ChangeEventHeader": header, **body},
        received_at=at,
        origin="backfill",
    )


class Replica:
    """The records table in miniature: images by record id, with the worker's link table."""

    def __init__(self) -> None:
        self.images: dict[str, RecordImage] = {}
        self.links: dict[str, set[str]] = {}

    def apply(self, event: SalesforceEvent, record_id: str | None = None) -> RecordUpdate:
        rid = record_id or event.record_id or ""
        update = apply_salesforce_event(self.images.get(rid), event, rid, links=self.view())
        if update.image is not None:
            self.images[rid] = update.image
        for link in update.links:
            targets = self.links.setdefault(link.key, set())
            if link.linked:
                targets.add(link.individual_id)
            else:
                targets.discard(link.individual_id)
        return update

    def view(self) -> Links:
        return self.links


def consent_fields(
    purpose_id: str,
    *,
    status: str = "OptIn",
    channel: str | None = "EMAIL",
    captured: datetime = T0,
    party: str = PERSON,
    **extra: Any,
) -> dict[str, Any]:
    """A complete, provable ContactPointTypeConsent (CometD shape)."""
    fields: dict[str, Any] = {
        "Name": "consent",
        "PartyId": party,
        "DataUsePurposeId": purpose_id,
        "ContactPointType": "Email",
        "PrivacyConsentStatus": status,
        "CaptureDate": iso(captured),
        "CaptureSource": "https://example.org/form",
        "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
        "Lawful_Notice_Version__c": "v1",
    }
    if channel is not None:
        fields["Lawful_Channel__c"] = channel
    fields.update(extra)
    return fields


def individual_fields(jurisdiction: str = "UK", **extra: Any) -> dict[str, Any]:
    return {
        "Name": {"FirstName": "Alex", "LastName": "Doe"},
        "Lawful_Jurisdiction__c": jurisdiction,
        "BirthDate": "1980-05-17",
        **extra,
    }


def days(n: float) -> timedelta:
    return timedelta(days=n)


policy = engine_policy


def test_cdc_builder_follows_the_update_shape() -> None:
    event = cdc("Contact", "UPDATE", "003000000000001AAA", {"Name": {"LastName": "X"}})
    header = event.payload["ChangeEventHeader"]
    assert header["changeType"] == "UPDATE"
    assert event.payload["LastModifiedDate"].endswith("Z")
    assert "Id" not in event.payload


def test_snapshot_builder_uses_rest_datetimes() -> None:
    event = snapshot("Individual", PERSON, {})
    assert event.payload["LastModifiedDate"].endswith("+0000")
    assert event.replay_id is None
