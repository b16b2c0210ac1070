"""aiosfstream_ng authenticators with a configurable token URL and CA bundle.

aiosfstream_ng only ships password and refresh-token authenticators bound to the hard-coded
login.salesforce.com token URL; these post to `credentials.token_url` and trust `ca_bundle`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
from aiocometd_ng.typing import JsonObject
from aiosfstream_ng.auth import AuthenticatorBase

from workers.salesforce.auth import ssl_context, token_request_body
from workers.salesforce.credentials import SalesforceCredentials
from workers.salesforce.errors import SalesforceConfigError


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenEndpointAuthenticator(AuthenticatorBase):
    """Posts the flow's form body to the configured token URL; counts token requests."""

    def __init__(
        self, credentials: SalesforceCredentials, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__()
        self._credentials = credentials
        self._ssl = ssl_context(credentials)
        self._clock = clock
        self.token_requests = 0

    @property
    def _token_url(self) -> str:
        return self._credentials.token_url

    def __repr__(self) -> str:
        # The library logs this repr; the base class's own repr would print secrets.
        return (
            f"{type(self).__name__}(username={self._credentials.username!r}, "
            f"token_url={self._token_url!r})"
        )

    async def _authenticate(self) -> tuple[int, JsonObject]:
        self.token_requests += 1
        body = token_request_body(self._credentials, self._clock())
        async with (
            aiohttp.ClientSession() as session,
            session.post(self._token_url, data=body, ssl=self._ssl) as response,
        ):
            data: JsonObject = await response.json(loads=self.json_loads)
            return response.status, data


class JwtBearerAuthenticator(TokenEndpointAuthenticator):
    """OAuth 2.0 JWT bearer flow (RS256 assertion) for aiosfstream_ng."""

    def __init__(
        self, credentials: SalesforceCredentials, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        if credentials.flow != "jwt":
            raise SalesforceConfigError("JwtBearerAuthenticator needs the jwt flow")
        super().__init__(credentials, clock=clock)


class PasswordFlowAuthenticator(TokenEndpointAuthenticator):
    """OAuth 2.0 username-password flow against the configured login URL."""

    def __init__(
        self, credentials: SalesforceCredentials, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        if credentials.flow != "password":
            raise SalesforceConfigError("PasswordFlowAuthenticator needs the password flow")
        super().__init__(credentials, clock=clock)


def streaming_authenticator(credentials: SalesforceCredentials) -> TokenEndpointAuthenticator:
    """The authenticator matching `credentials.flow`."""
    if credentials.flow == "jwt":
        return JwtBearerAuthenticator(credentials)
    return PasswordFlowAuthenticator(credentials)
