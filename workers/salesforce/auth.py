"""OAuth 2.0 token requests: JWT bearer (production) and username-password (emulator, dev).

The synchronous `fetch_token` serves the REST adapter (requests); the streaming side uses the
aiohttp authenticators in `workers.salesforce.streaming_auth`, which share the request bodies.
"""

from __future__ import annotations

import ssl
from datetime import datetime, timedelta
from typing import Any

import jwt
import requests
import structlog
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from workers.salesforce.credentials import SalesforceCredentials
from workers.salesforce.errors import (
    SalesforceAuthError,
    SalesforceConfigError,
    SalesforceUnavailableError,
)

JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME = timedelta(minutes=3)  # Salesforce accepts at most ~3 minutes ahead

log = structlog.get_logger(__name__)


class AccessToken(BaseModel):
    """The token endpoint's answer; unknown keys (signature, scope, ...) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    access_token: SecretStr
    instance_url: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type name, not a secret
    id: str | None = None
    issued_at: str | None = None


def build_jwt_assertion(
    *, client_id: str, username: str, audience: str, private_key_pem: str, now: datetime
) -> str:
    """Sign the RS256 assertion: iss = consumer key, sub = user, aud = login URL, exp."""
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": audience.rstrip("/"),
        "exp": int((now + JWT_LIFETIME).timestamp()),
    }
    return jwt.encode(claims, private_key_pem, algorithm="RS256")


def _secret(secret: SecretStr | None, name: str) -> str:
    if secret is None:
        raise SalesforceConfigError(f"salesforce.{name} is required for this auth flow")
    return secret.get_secret_value()


def token_request_body(credentials: SalesforceCredentials, now: datetime) -> dict[str, str]:
    """Form fields for the token endpoint (contains secrets: never log it)."""
    if credentials.flow == "jwt":
        assertion = build_jwt_assertion(
            client_id=credentials.client_id,
            username=credentials.username,
            audience=credentials.login_url,
            private_key_pem=_secret(credentials.private_key, "private_key_file"),
            now=now,
        )
        return {"grant_type": JWT_GRANT_TYPE, "assertion": assertion}
    return {
        "grant_type": "password",
        "client_id": credentials.client_id,
        "client_secret": _secret(credentials.client_secret, "client_secret"),
        "username": credentials.username,
        "password": _secret(credentials.password, "password"),
    }


def parse_token_response(status: int, body: Any) -> AccessToken:
    """Map the token endpoint's reply to an `AccessToken` or a typed error."""
    if status >= 500 or status == 429:
        raise SalesforceUnavailableError(f"token endpoint answered {status}")
    if status != 200:
        error = body.get("error", "unknown") if isinstance(body, dict) else "unknown"
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        raise SalesforceAuthError(str(error), str(description))
    try:
        return AccessToken.model_validate(body)
    except ValidationError as exc:
        raise SalesforceAuthError("invalid_response", "token reply lacks fields") from exc


def requests_session(credentials: SalesforceCredentials) -> requests.Session:
    """A session that trusts `ca_bundle` (ignoring REQUESTS_CA_BUNDLE, which would win)."""
    session = requests.Session()
    if credentials.ca_bundle is not None:
        session.verify = str(credentials.ca_bundle)
        session.trust_env = False
    return session


def ssl_context(credentials: SalesforceCredentials) -> ssl.SSLContext:
    """The TLS context for aiohttp: the configured CA bundle, else the system's trust store."""
    if credentials.ca_bundle is not None:
        return ssl.create_default_context(cafile=str(credentials.ca_bundle))
    return ssl.create_default_context()


def fetch_token(
    credentials: SalesforceCredentials,
    session: requests.Session,
    *,
    now: datetime,
    timeout: float = 30.0,
) -> AccessToken:
    """Request an access token synchronously (run it in a thread from async code)."""
    try:
        response = session.post(
            credentials.token_url, data=token_request_body(credentials, now), timeout=timeout
        )
    except requests.RequestException as exc:
        raise SalesforceUnavailableError(f"token request failed: {type(exc).__name__}") from exc
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    token = parse_token_response(response.status_code, body)
    log.info("salesforce_token_issued", flow=credentials.flow, instance_url=token.instance_url)
    return token
