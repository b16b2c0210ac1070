"""The `emulator` fixture works for the clients other helpers use."""

from __future__ import annotations

import pytest
from simple_salesforce.api import Salesforce

from tests.fixtures.emulator import EmulatorHandle, sobject

pytestmark = pytest.mark.integration


def test_fixture_exposes_a_working_org(emulator: EmulatorHandle) -> None:
    assert emulator.instance_url.startswith("https://localhost:")
    assert emulator.ca_path.exists()
    assert emulator.credentials.client_id
    assert emulator.hub is not None
    sf = emulator.salesforce()
    try:
        created = sobject(sf, "Individual").create({"LastName": "Fixture", "FirstName": "Check"})
        assert created["success"] is True
        row = sobject(sf, "Individual").get(created["id"])
        assert row["Name"] == "Check Fixture"
        assert emulator.org.get("Individual", created["id"]) is not None
    finally:
        sf.session.close()


def test_simple_salesforce_soap_login_through_redirect_session(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    session = emulator.login_session()
    try:
        sf = Salesforce(
            username=creds.username,
            password=creds.password,
            security_token=creds.security_token,
            session=session,
        )
        assert sf.sf_instance == emulator.instance_url.removeprefix("https://")
        assert sf.query("SELECT COUNT() FROM User")["totalSize"] >= 1
    finally:
        session.close()
