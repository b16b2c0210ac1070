"""Point the unmodified simple-salesforce and aiosfstream_ng at `lawful emulator` and watch CDC.

lawful emulator --seed-persons 100          # prints the credentials file path
python examples/emulator/quickstart.py lawful-data/emulator/credentials.json
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import uuid
from pathlib import Path
from typing import Any

import requests
from aiohttp import ClientSession, TCPConnector
from aiosfstream_ng.auth import PasswordAuthenticator
from aiosfstream_ng.client import Client
from aiosfstream_ng.replay import ReplayOption
from simple_salesforce.api import Salesforce


class EmulatorPasswordAuthenticator(PasswordAuthenticator):
    """The stock password flow, sent to the emulator's token URL and trusting its local CA."""

    def __init__(self, creds: dict[str, Any], context: ssl.SSLContext) -> None:
        password = creds["password"] + creds.get("security_token", "")
        super().__init__(creds["client_id"], creds["client_secret"], creds["username"], password)
        self._emulator_token_url = creds["token_url"]
        self._context = context

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }
        async with (
            ClientSession(connector=TCPConnector(ssl=self._context)) as session,
            session.post(self._emulator_token_url, data=form) as response,
        ):
            body: dict[str, Any] = await response.json()
            return response.status, body


def rest_client(creds: dict[str, Any]) -> Salesforce:
    session = requests.Session()
    session.verify = creds["ca_path"]
    session.trust_env = False  # or REQUESTS_CA_BUNDLE would override `verify`
    token = session.post(
        creds["token_url"],
        data={
            "grant_type": "password",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "username": creds["username"],
            "password": creds["password"] + creds.get("security_token", ""),
        },
        timeout=10,
    ).json()
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session
    )


async def main(creds: dict[str, Any]) -> None:
    context = ssl.create_default_context(cafile=creds["ca_path"])
    stream = Client(EmulatorPasswordAuthenticator(creds, context), replay=ReplayOption.NEW_EVENTS)
    stream.ssl = context  # aiocometd's SSL option; aiosfstream_ng does not forward one
    await stream.open()
    await stream.subscribe("/data/ContactChangeEvent")
    contacts: Any = rest_client(creds).Contact  # simple-salesforce's dynamic sObject type
    created = await asyncio.to_thread(contacts.create, {"LastName": f"Q{uuid.uuid4().hex[:6]}"})
    await asyncio.to_thread(contacts.update, created["id"], {"FirstName": "Alex"})
    for _ in range(2):
        message = await asyncio.wait_for(stream.receive(), timeout=15)
        header = message["data"]["payload"]["ChangeEventHeader"]
        print(header["changeType"], header["recordIds"], header["changedFields"])
    # aiocometd_ng reports its own cancelled long poll at close as an error; it is harmless.
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda lp, ctx: (
            None
            if isinstance(ctx.get("exception"), asyncio.CancelledError)
            else lp.default_exception_handler(ctx)
        )
    )
    await stream.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
