"""REST writes through simple-salesforce arrive as CDC / platform events at aiosfstream_ng."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiosfstream_ng.auth import PasswordAuthenticator
from aiosfstream_ng.client import Client

from tests.fixtures.emulator import EmulatorHandle, rest, sobject

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

CONTACTS = "/data/ContactChangeEvent"
ERASURES = "/event/Lawful_Erasure_Request__e"


class PlainHttpAuthenticator(PasswordAuthenticator):
    """The stock password authenticator with the emulator's plain-HTTP token URL."""

    def __init__(self, handle: EmulatorHandle) -> None:
        creds = handle.credentials
        super().__init__(
            creds.client_id,
            creds.client_secret,
            creds.username,
            creds.password + creds.security_token,
        )
        self._url = f"{handle.http_url}/services/oauth2/token"

    @property
    def _token_url(self) -> str:
        return self._url


@pytest_asyncio.fixture(loop_scope="module")
async def client(emulator: EmulatorHandle) -> AsyncIterator[Client]:
    streaming = Client(PlainHttpAuthenticator(emulator))
    await streaming.open()
    try:
        await streaming.subscribe(CONTACTS)
        await streaming.subscribe(ERASURES)
        yield streaming
    finally:
        await streaming.close()


async def _next(client: Client, channel: str, marker: str) -> dict[str, Any]:
    """The next message on `channel` whose payload mentions `marker`."""
    while True:
        message: dict[str, Any] = await asyncio.wait_for(client.receive(), 10)
        if message["channel"] == channel and marker in str(message["data"]["payload"]):
            return message


async def test_rest_writes_become_change_events(client: Client, emulator: EmulatorHandle) -> None:
    tag = uuid.uuid4().hex[:10]
    sf = emulator.salesforce()
    try:
        contacts = sobject(sf, "Contact")
        created = contacts.create(
            {"FirstName": "Maria", "LastName": tag},
            headers={"Sforce-Call-Options": "client=lawful-e2e"},
        )
        contacts.update(created["id"], {"LastName": f"{tag}-2", "Email": "m@example.org"})
    finally:
        sf.session.close()
    create = await _next(client, CONTACTS, tag)
    update = await _next(client, CONTACTS, f"{tag}-2")
    header = create["data"]["payload"]["ChangeEventHeader"]
    assert header["changeType"] == "CREATE"
    assert header["recordIds"] == [created["id"]]
    assert header["changeOrigin"].endswith(";client=lawful-e2e")
    assert create["data"]["payload"]["Name"] == {"FirstName": "Maria", "LastName": tag}
    changed = update["data"]["payload"]["ChangeEventHeader"]["changedFields"]
    assert "Name.LastName" in changed
    assert "Email" in changed


async def test_published_platform_event_is_delivered(
    client: Client, emulator: EmulatorHandle
) -> None:
    request_id = f"ERQ-{uuid.uuid4().hex}"
    sf = emulator.salesforce()
    try:
        published = rest(
            sf,
            "sobjects/Lawful_Erasure_Request__e/",
            method="POST",
            json={"Individual_Id__c": "0PK5g000000QrStGAK", "Request_Id__c": request_id},
        )
    finally:
        sf.session.close()
    message = await _next(client, ERASURES, request_id)
    assert message["data"]["event"]["EventUuid"] == published["errors"][0]["message"]
    assert message["data"]["payload"]["CreatedById"] == emulator.org.integration_user.user_id
