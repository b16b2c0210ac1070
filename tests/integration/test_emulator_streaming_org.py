"""aiosfstream_ng against the full emulator over HTTPS: REST writes become CDC events."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import ClientSession, TCPConnector
from aiosfstream_ng.auth import PasswordAuthenticator
from aiosfstream_ng.client import Client
from aiosfstream_ng.replay import ReplayMarker, ReplayOption
from simple_salesforce.api import Salesforce

from emulator.credentials import Credentials
from tests.fixtures.emulator import EmulatorHandle, sobject

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

CONTACT = "/data/ContactChangeEvent"
ALERT = "Lawful_Consent_Expiry_Alert__e"


class TlsPasswordAuthenticator(PasswordAuthenticator):
    """The stock password flow against the emulator's token URL, trusting the emulator's CA."""

    def __init__(self, credentials: Credentials, context: ssl.SSLContext) -> None:
        super().__init__(
            credentials.client_id,
            credentials.client_secret,
            credentials.username,
            credentials.password + credentials.security_token,
        )
        self._credentials = credentials
        self._context = context

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }
        connector = TCPConnector(ssl=self._context)
        async with (
            ClientSession(connector=connector) as session,
            session.post(self._credentials.token_url, data=form) as response,
        ):
            body: dict[str, Any] = await response.json()
            return response.status, body


@pytest.fixture(scope="module")
def credentials(emulator: EmulatorHandle) -> Credentials:
    return emulator.credentials


@pytest.fixture(scope="module")
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


@asynccontextmanager
async def streaming_client(
    credentials: Credentials, *channels: str, replay: Any = ReplayOption.NEW_EVENTS
) -> AsyncIterator[Client]:
    context = ssl.create_default_context(cafile=credentials.ca_path)
    client = Client(TlsPasswordAuthenticator(credentials, context), replay=replay)
    client.ssl = context  # aiocometd's documented SSL option; aiosfstream_ng doesn't forward it
    await client.open()
    try:
        for channel in channels:
            await client.subscribe(channel)
        yield client
    finally:
        await client.close()


async def receive(client: Client, count: int = 1) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(client.receive(), 10) for _ in range(count)]


def header(message: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = message["data"]["payload"]["ChangeEventHeader"]
    return result


async def test_rest_writes_arrive_as_change_events(
    credentials: Credentials, sf: Salesforce
) -> None:
    own = {"Sforce-Call-Options": "client=lawful"}
    async with streaming_client(credentials, CONTACT) as client:
        created = await asyncio.to_thread(
            sobject(sf, "Contact").create,
            {"FirstName": "Maria", "LastName": "Keller", "Email": "m@example.org"},
            headers=own,
        )
        record_id = created["id"]
        await asyncio.to_thread(
            sobject(sf, "Contact").update, record_id, {"LastName": "Braun", "Email": None}
        )
        await asyncio.to_thread(sobject(sf, "Contact").delete, record_id)
        create, update, delete = await receive(client, 3)
    assert [header(m)["changeType"] for m in (create, update, delete)] == [
        "CREATE",
        "UPDATE",
        "DELETE",
    ]
    assert all(header(m)["recordIds"] == [record_id] for m in (create, update, delete))
    assert header(create)["changeOrigin"].endswith(";client=lawful")
    assert create["data"]["payload"]["Name"] == {"FirstName": "Maria", "LastName": "Keller"}
    assert update["data"]["payload"]["Email"] is None
    assert "Name.LastName" in header(update)["changedFields"]
    assert list(delete["data"]["payload"]) == ["ChangeEventHeader"]
    assert isinstance(header(create)["commitTimestamp"], int)


async def test_collection_update_merges_identical_changes(
    credentials: Credentials, sf: Salesforce
) -> None:
    ids = [
        (await asyncio.to_thread(sobject(sf, "Contact").create, {"LastName": f"Merge {i}"}))["id"]
        for i in range(2)
    ]
    records = [
        {"attributes": {"type": "Contact"}, "Id": rid, "HasOptedOutOfEmail": True} for rid in ids
    ]
    async with streaming_client(credentials, CONTACT) as client:
        await asyncio.to_thread(
            sf.restful,
            "composite/sobjects",
            method="PATCH",
            json={"allOrNone": True, "records": records},
        )
        (merged,) = await receive(client)
    assert header(merged)["changeType"] == "UPDATE"
    assert sorted(header(merged)["recordIds"]) == sorted(ids)
    assert merged["data"]["payload"]["HasOptedOutOfEmail"] is True


async def test_platform_event_published_through_rest(
    credentials: Credentials, sf: Salesforce
) -> None:
    fields = {
        "Individual_Id__c": "0PK5g000000QrStGAK",
        "Purpose_Id__c": "0ZW5g000000AbCdEAK",
        "Channel__c": "Email",
        "Expires_At__c": "2024-08-15T00:00:00.000Z",
    }
    async with streaming_client(credentials, f"/event/{ALERT}") as client:
        result = await asyncio.to_thread(sobject(sf, ALERT).create, fields)
        (message,) = await receive(client)
    assert message["data"]["event"]["EventUuid"] == result["errors"][0]["message"]
    assert message["data"]["payload"]["Individual_Id__c"] == "0PK5g000000QrStGAK"
    assert message["data"]["payload"]["CreatedDate"].endswith("Z")


async def test_dropped_clients_recover_over_tls(
    emulator: EmulatorHandle, credentials: Credentials, sf: Salesforce
) -> None:
    storage: dict[str, ReplayMarker] = {}  # resubscribe from the last stored replay id
    async with streaming_client(credentials, CONTACT, replay=storage) as client:
        await asyncio.to_thread(sobject(sf, "Contact").create, {"LastName": "Before drop"})
        await receive(client)
        assert emulator.hub.drop_clients() >= 1  # all clients of the org
        created = await asyncio.to_thread(sobject(sf, "Contact").create, {"LastName": "After drop"})
        (message,) = await receive(client)
    assert header(message)["recordIds"] == [created["id"]]
