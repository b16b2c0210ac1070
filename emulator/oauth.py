"""POST /services/oauth2/token: password, refresh_token, JWT bearer and client_credentials."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import jwt
from aiohttp import web

from emulator.appkeys import ORG
from emulator.auth import UserAccount
from emulator.org import Org

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_JWT_LIFETIME_S = 5 * 60


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        body,
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-cache,must-revalidate,max-age=0"},
    )


def _check_app(org: Org, client_id: str | None, client_secret: str | None) -> None:
    if client_id != org.app.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if client_secret is not None and client_secret != org.app.client_secret:
        raise OAuthError("invalid_client", "invalid client credentials")


def _user(org: Org, username: str | None) -> UserAccount:
    account = org.users.get((username or "").lower())
    if account is None or not account.active:
        raise OAuthError("invalid_grant", "authentication failure")
    return account


def _token_body(org: Org, account: UserAccount, *, jwt_flow: bool = False) -> dict[str, Any]:
    """The token response; `instance_url` is the HTTPS one (see token_endpoint for plain HTTP)."""
    session = org.sessions.issue(account.user_id)
    identity = org.identity_url(account.user_id)
    body: dict[str, Any] = {
        "access_token": session.token,
        "instance_url": org.instance_url,
        "id": identity,
        "token_type": "Bearer",
    }
    if jwt_flow:
        body["scope"] = "api"
        return body
    issued_at = str(int(session.issued_at * 1000))
    body["issued_at"] = issued_at
    body["signature"] = org.app.signature(identity, issued_at)
    return body


def password_grant(org: Org, form: dict[str, str]) -> dict[str, Any]:
    _check_app(org, form.get("client_id"), form.get("client_secret", ""))
    account = _user(org, form.get("username"))
    password = form.get("password", "")
    if password not in (account.password + account.security_token, account.password):
        raise OAuthError("invalid_grant", "authentication failure")
    return _token_body(org, account)


def refresh_grant(org: Org, form: dict[str, str]) -> dict[str, Any]:
    _check_app(org, form.get("client_id"), form.get("client_secret"))
    user_id = org.sessions.refresh_tokens.get(form.get("refresh_token", ""))
    account = next((u for u in org.users.values() if u.user_id == user_id), None)
    if account is None:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    return _token_body(org, account)


def jwt_grant(org: Org, form: dict[str, str]) -> dict[str, Any]:
    assertion = form.get("assertion", "")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    _check_app(org, str(unverified.get("iss", "")), None)
    try:
        claims = jwt.decode(
            assertion,
            org.app.public_key_pem(),
            algorithms=["RS256"],
            audience=[*AUDIENCES, org.instance_url],
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.InvalidAudienceError:
        raise OAuthError("invalid_grant", "audience is invalid") from None
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_grant", "expired authorization code") from None
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if float(claims["exp"]) > org.clock.now() + MAX_JWT_LIFETIME_S + 60:
        raise OAuthError("invalid_grant", "invalid assertion")
    account = _user(org, str(claims.get("sub")))
    if not account.approved_for_app:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return _token_body(org, account, jwt_flow=True)


def client_credentials_grant(org: Org, form: dict[str, str], authorization: str) -> dict[str, Any]:
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
        client_id, _, client_secret = decoded.partition(":")
    _check_app(org, client_id, client_secret or "")
    return _token_body(org, org.integration_user)


def unsupported_grant(grant: str | None) -> dict[str, Any]:
    if not grant:
        raise OAuthError("invalid_request", "grant type is missing")
    raise OAuthError("unsupported_grant_type", "grant type not supported")


async def token_endpoint(request: web.Request) -> web.Response:
    org: Org = request.app[ORG]
    org.sessions.token_requests += 1
    try:
        form = {k: str(v) for k, v in (await request.post()).items()}
    except (UnicodeDecodeError, ValueError):
        return _json({"error": "invalid_request", "error_description": "malformed form body"}, 400)
    grant = form.get("grant_type")
    try:
        if grant == "password":
            body = password_grant(org, form)
        elif grant == "refresh_token":
            body = refresh_grant(org, form)
        elif grant == JWT_GRANT:
            body = jwt_grant(org, form)
        elif grant == "client_credentials":
            body = client_credentials_grant(org, form, request.headers.get("Authorization", ""))
        else:
            body = unsupported_grant(grant)
    except OAuthError as error:
        return _json({"error": error.error, "error_description": error.description}, error.status)
    if not request.secure and org.http_url:
        body["instance_url"] = org.http_url  # asked over plain HTTP: stay on plain HTTP
    return _json(body)
