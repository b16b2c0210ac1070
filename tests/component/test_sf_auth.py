"""OAuth: JWT assertion contents, token requests, credentials loading, no secrets in logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosfstream_ng.exceptions import AuthenticationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from workers.salesforce.auth import JWT_GRANT_TYPE, build_jwt_assertion, fetch_token
from workers.salesforce.credentials import SalesforceCredentials, load_credentials
from workers.salesforce.errors import (
    SalesforceAuthError,
    SalesforceConfigError,
    SalesforceUnavailableError,
)
from workers.salesforce.streaming_auth import JwtBearerAuthenticator, PasswordFlowAuthenticator
from workers.settings import SalesforceSettings

pytestmark = pytest.mark.component

LOGIN = "https://login.example.test"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TOKEN_REPLY = {
    "access_token": "00D000000000001!fake.token.value",
    "instance_url": "https://acme.example.test",
    "id": f"{LOGIN}/id/00D000000000001EAA/005000000000001AAA",
    "token_type": "Bearer",
    "scope": "api",
}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def private_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def jwt_credentials(private_pem: str) -> SalesforceCredentials:
    return SalesforceCredentials(
        flow="jwt",
        login_url=LOGIN,
        client_id="3MVG9-consumer-key",
        username="worker@acme.example",
        private_key=SecretStr(private_pem),
    )


@pytest.fixture
def password_credentials() -> SalesforceCredentials:
    return SalesforceCredentials(
        flow="password",
        login_url=LOGIN + "/",
        client_id="3MVG9-consumer-key",
        username="worker@acme.example",
        client_secret=SecretStr("consumer-secret-xyz"),
        password=SecretStr("hunter2-and-token"),
    )


def test_jwt_assertion_claims_and_signature(rsa_key: rsa.RSAPrivateKey, private_pem: str) -> None:
    assertion = build_jwt_assertion(
        client_id="3MVG9-key",
        username="u@x.example",
        audience=LOGIN + "/",
        private_key_pem=private_pem,
        now=NOW,
    )
    assert jwt.get_unverified_header(assertion)["alg"] == "RS256"
    claims = jwt.decode(
        assertion,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=LOGIN,
        options={"verify_exp": False},
    )
    assert claims["iss"] == "3MVG9-key"
    assert claims["sub"] == "u@x.example"
    assert claims["aud"] == LOGIN
    expiry = datetime.fromtimestamp(claims["exp"], UTC)
    assert NOW < expiry <= NOW + timedelta(minutes=3)


@responses.activate
def test_jwt_token_request(
    jwt_credentials: SalesforceCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    responses.post(TOKEN_URL, json=TOKEN_REPLY)
    token = fetch_token(jwt_credentials, requests.Session(), now=NOW)
    assert token.instance_url == "https://acme.example.test"
    assert token.access_token.get_secret_value() == TOKEN_REPLY["access_token"]
    form = parse_qs(str(responses.calls[0].request.body))
    assert form["grant_type"] == [JWT_GRANT_TYPE]
    claims = jwt.decode(
        form["assertion"][0],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=LOGIN,
        options={"verify_exp": False},
    )
    assert claims["sub"] == "worker@acme.example"


@responses.activate
def test_password_token_request_and_refusal(password_credentials: SalesforceCredentials) -> None:
    responses.post(TOKEN_URL, json=TOKEN_REPLY)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "authentication failure"},
    )
    fetch_token(password_credentials, requests.Session(), now=NOW)
    form = parse_qs(str(responses.calls[0].request.body))
    assert form["grant_type"] == ["password"]
    assert form["password"] == ["hunter2-and-token"]
    assert form["client_secret"] == ["consumer-secret-xyz"]
    with pytest.raises(SalesforceAuthError, match="invalid_grant") as refused:
        fetch_token(password_credentials, requests.Session(), now=NOW)
    assert not refused.value.retriable


@responses.activate
def test_token_endpoint_outage_is_transient(password_credentials: SalesforceCredentials) -> None:
    responses.post(TOKEN_URL, status=503, body="<html>maintenance</html>")
    with pytest.raises(SalesforceUnavailableError) as outage:
        fetch_token(password_credentials, requests.Session(), now=NOW)
    assert outage.value.retriable


@responses.activate
def test_secrets_never_logged(password_credentials: SalesforceCredentials) -> None:
    responses.post(TOKEN_URL, json=TOKEN_REPLY)
    with structlog.testing.capture_logs() as logs:
        fetch_token(password_credentials, requests.Session(), now=NOW)
    text = json.dumps(logs, default=str) + repr(password_credentials)
    text += repr(PasswordFlowAuthenticator(password_credentials))
    assert logs  # the login is logged ...
    for secret in ("hunter2-and-token", "consumer-secret-xyz", TOKEN_REPLY["access_token"]):
        assert secret not in text  # ... without its secrets


async def test_streaming_jwt_authenticator_uses_configured_token_url(
    jwt_credentials: SalesforceCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    forms: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        forms.append(dict(await request.post()))  # type: ignore[arg-type]
        if len(forms) == 1:
            return web.json_response(TOKEN_REPLY)
        return web.json_response({"error": "invalid_grant"}, status=400)

    app = web.Application()
    app.router.add_post("/services/oauth2/token", token)
    async with TestServer(app, host="127.0.0.1") as server:
        login_url = str(server.make_url("")).rstrip("/")
        credentials = jwt_credentials.model_copy(update={"login_url": login_url})
        authenticator = JwtBearerAuthenticator(credentials, clock=lambda: NOW)
        await authenticator.authenticate()
        assert authenticator.access_token == TOKEN_REPLY["access_token"]
        assert authenticator.instance_url == "https://acme.example.test"
        headers: dict[str, str] = {}
        await authenticator.outgoing([], headers)
        assert headers["Authorization"] == "Bearer " + TOKEN_REPLY["access_token"]
        with pytest.raises(AuthenticationError):
            await authenticator.authenticate()
    assert forms[0]["grant_type"] == JWT_GRANT_TYPE
    claims = jwt.decode(
        forms[0]["assertion"],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=login_url,
        options={"verify_exp": False},
    )
    assert claims["iss"] == "3MVG9-consumer-key"
    assert authenticator.token_requests == 2
    assert authenticator.access_token is None


def test_authenticator_refuses_the_wrong_flow(
    password_credentials: SalesforceCredentials,
) -> None:
    with pytest.raises(SalesforceConfigError):
        JwtBearerAuthenticator(password_credentials)


def test_credentials_file_fills_unset_fields(tmp_path: Path, private_pem: str) -> None:
    (tmp_path / "worker.key").write_text(private_pem)
    (tmp_path / "credentials.json").write_text(
        json.dumps(
            {
                "username": "file-user@acme.example",
                "password": "pw",
                "client_id": "file-client",
                "client_secret": "file-secret",
                "private_key_path": "worker.key",
                "login_url": "https://localhost:8443",
                "ca_path": str(tmp_path / "ca.pem"),
            }
        )
    )
    settings = SalesforceSettings(
        credentials_file=tmp_path / "credentials.json", username="explicit@acme.example"
    )
    credentials = load_credentials(settings)
    assert credentials.flow == "jwt"
    assert credentials.username == "explicit@acme.example"  # explicit settings win
    assert credentials.client_id == "file-client"
    assert credentials.login_url == "https://localhost:8443"
    assert credentials.token_url == "https://localhost:8443/services/oauth2/token"
    assert credentials.ca_bundle == tmp_path / "ca.pem"
    assert credentials.private_key is not None
    assert "PRIVATE KEY" in credentials.private_key.get_secret_value()
    password = load_credentials(settings.model_copy(update={"auth_flow": "password"}))
    assert password.password is not None
    assert password.password.get_secret_value() == "pw"


def test_missing_credentials_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SalesforceConfigError, match="client_id"):
        load_credentials(SalesforceSettings())
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SalesforceConfigError, match="cannot read"):
        load_credentials(SalesforceSettings(credentials_file=broken))
    with pytest.raises(SalesforceConfigError, match="private key"):
        load_credentials(SalesforceSettings(client_id="c", username="u", auth_flow="jwt"))
