"""A logged-in simple-salesforce client: token, HTTP session, limit observation, re-login."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
import structlog
from simple_salesforce.api import Salesforce

from workers.salesforce.auth import AccessToken, fetch_token, requests_session
from workers.salesforce.credentials import SalesforceCredentials
from workers.salesforce.limits import ApiBudget, SalesforceMetrics

log = structlog.get_logger(__name__)

# The operation a worker thread is performing, read by the response hook for metric labels.
current_op: contextvars.ContextVar[str] = contextvars.ContextVar("sf_op", default="other")


class TimeoutSession(requests.Session):
    """requests has no session-wide timeout; apply one to every request."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def build_http_session(
    credentials: SalesforceCredentials,
    *,
    timeout: float,
    client_name: str,
    budget: ApiBudget,
    metrics: SalesforceMetrics,
) -> requests.Session:
    """An HTTP session that trusts the CA, tags writes and observes every response."""
    template = requests_session(credentials)
    session = TimeoutSession(timeout)
    session.verify = template.verify
    session.trust_env = template.trust_env
    if client_name:
        session.headers["Sforce-Call-Options"] = f"client={client_name}"

    def observe(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        budget.observe(response.headers.get("Sforce-Limit-Info"))
        metrics.requests.labels(op=current_op.get(), status=str(response.status_code)).inc()

    session.hooks["response"].append(observe)
    return session


class SalesforceSession:
    """Holds the current `Salesforce` client; `relogin` replaces it once per stale token."""

    def __init__(
        self,
        credentials: SalesforceCredentials,
        http: requests.Session,
        *,
        api_version: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = credentials
        self._http = http
        self._api_version = api_version
        self._clock = clock
        self._client: Salesforce | None = None
        self._lock = asyncio.Lock()
        self.logins = 0

    def _login(self) -> Salesforce:
        current_op.set("login")  # runs in a worker thread's copied context: does not leak
        token: AccessToken = fetch_token(
            self._credentials, self._http, now=self._clock(), timeout=30.0
        )
        self.logins += 1
        return Salesforce(
            instance_url=self._credentials.instance_url or token.instance_url,
            session_id=token.access_token.get_secret_value(),
            session=self._http,
            version=self._api_version,
            object_pairs_hook=dict,
        )

    async def client(self) -> Salesforce:
        """The current client, logging in first if needed."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await asyncio.to_thread(self._login)
        return self._client

    async def relogin(self, stale: Salesforce) -> Salesforce:
        """Replace `stale` with a fresh login (other callers that saw it share the new one)."""
        async with self._lock:
            if self._client is stale or self._client is None:
                log.info("salesforce_session_expired_relogin")
                self._client = await asyncio.to_thread(self._login)
            return self._client

    def close(self) -> None:
        self._http.close()
