"""The request and response objects REST handlers work with (independent of aiohttp)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from emulator.errors import SalesforceError

if TYPE_CHECKING:
    from emulator.auth import Session
    from emulator.org import Org
    from emulator.transaction import UnitOfWork


@dataclass
class RestRequest:
    """One REST call after authentication: path parts below `/services/data/vXX.X/`."""

    org: Org
    session: Session
    method: str
    version: str
    parts: list[str]
    query: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Set inside an allOrNone composite request: every subrequest writes into this one unit of
    # work, committed (or rolled back) by the composite handler as a single transaction.
    shared_work: UnitOfWork | None = None

    def unit_of_work(self) -> UnitOfWork:
        if self.shared_work is not None:
            return self.shared_work
        return self.org.unit_of_work(self.origin, self.session.user_id)

    def read(self, obj_name: str, record_id: str) -> dict[str, Any] | None:
        """A record as this request sees it (including an enclosing composite's staged writes)."""
        if self.shared_work is not None:
            return self.shared_work.get(obj_name, record_id)
        return self.org.store.get(obj_name, record_id)

    def commit(self, work: UnitOfWork) -> None:
        """Commit `work` unless it belongs to an enclosing composite request."""
        if work is not self.shared_work:
            work.commit()

    def json(self) -> Any:
        if not self.body.strip():
            raise SalesforceError.of(
                400,
                "JSON_PARSER_ERROR",
                "The HTTP entity body is required, but this request has no entity body.",
            )
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise SalesforceError.of(
                400, "JSON_PARSER_ERROR", f"Unexpected character: was expecting JSON ({exc})"
            ) from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise SalesforceError.of(
                400, "JSON_PARSER_ERROR", "Cannot deserialize instance of object from START_ARRAY"
            )
        return body

    @property
    def origin(self) -> str:
        """The CDC changeOrigin for writes made by this request."""
        origin = f"com/salesforce/api/rest/{self.version}"
        options = self.headers.get("sforce-call-options", "")
        for option in options.split(","):
            key, _, value = option.strip().partition("=")
            if key.strip().lower() == "client" and value:
                return f"{origin};client={value.strip()}"
        return origin


@dataclass
class RestResponse:
    """Status, body (JSON-able, text, or None) and extra headers."""

    status: int
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def ok(body: Any, status: int = 200) -> RestResponse:
    return RestResponse(status, body)


def no_content() -> RestResponse:
    return RestResponse(204)
