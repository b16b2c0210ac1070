"""Authentication against the emulator with the unmodified simple-salesforce client."""

from __future__ import annotations

import base64

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from tests.fixtures.emulator import EmulatorHandle, error_items, sobject

pytestmark = pytest.mark.integration


def _count_users(sf: Salesforce) -> int:
    total: int = sf.query("SELECT COUNT() FROM User")["totalSize"]
    return total


def test_oauth_password_flow(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with emulator.login_session() as session:
        sf = Salesforce(
            username=creds.username,
            password=creds.password + creds.security_token,
            consumer_key=creds.client_id,
            consumer_secret=creds.client_secret,
            session=session,
        )
        assert sf.session_id.startswith(creds.org_id[:15] + "!")
        assert _count_users(sf) >= 1


def test_jwt_bearer_flow(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with emulator.login_session() as session:
        sf = Salesforce(
            username=creds.username,
            consumer_key=creds.client_id,
            privatekey_file=creds.private_key_path,
            session=session,
        )
        assert _count_users(sf) >= 1


def test_jwt_with_unknown_user_is_rejected(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with (
        emulator.login_session() as session,
        pytest.raises(SalesforceAuthenticationFailed, match="authentication failure"),
    ):
        Salesforce(
            username="nobody@example.org",
            consumer_key=creds.client_id,
            privatekey_file=creds.private_key_path,
            session=session,
        )


def test_soap_login_with_wrong_password_fails(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with (
        emulator.login_session() as session,
        pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"),
    ):
        Salesforce(username=creds.username, password="wrong", security_token="x", session=session)


def test_refresh_token_and_client_credentials_grants(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with emulator.requests_session() as session:
        refreshed = session.post(
            creds.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "refresh_token": creds.refresh_token,
            },
            timeout=10,
        )
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        client = session.post(
            creds.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
            timeout=10,
        )
        bad = session.post(
            creds.token_url,
            data={"grant_type": "password", "client_id": "nope", "username": "x", "password": "y"},
            timeout=10,
        )
    assert refreshed.status_code == 200
    assert refreshed.json()["token_type"] == "Bearer"
    assert client.status_code == 200
    assert client.headers["Content-Type"].startswith("application/json")
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }


def test_expired_token_answers_401_invalid_session_id(emulator: EmulatorHandle) -> None:
    sf = emulator.salesforce()
    try:
        sobject(sf, "Individual").create({"LastName": "Before-Expiry"})
        emulator.org.sessions.expire(sf.session_id)
        with pytest.raises(SalesforceExpiredSession) as caught:
            sobject(sf, "Individual").create({"LastName": "After-Expiry"})
        assert caught.value.status == 401
        assert error_items(caught.value) == [
            {
                "message": "Session expired or invalid",
                "errorCode": "INVALID_SESSION_ID",
                "fields": [],
            }
        ]
    finally:
        sf.session.close()


def test_simple_salesforce_logs_in_again_after_expiry(emulator: EmulatorHandle) -> None:
    creds = emulator.credentials
    with emulator.login_session() as session:
        sf = Salesforce(
            username=creds.username,
            password=creds.password,
            security_token=creds.security_token,
            session=session,
        )
        first_token = sf.session_id
        emulator.org.sessions.expire(first_token)
        assert _count_users(sf) >= 1
        assert sf.session_id != first_token
