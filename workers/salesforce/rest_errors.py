"""Translate simple-salesforce / requests failures into lawful's typed errors."""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from schemas.errors import LawfulError
from workers.salesforce.errors import (
    ApiLimitExceededError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)

# Error codes that describe a temporary condition even though the status is 4xx.
_RETRIABLE_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT"})


def error_code_of(content: Any) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body (a JSON list of error objects)."""
    first = content[0] if isinstance(content, list) and content else content
    if isinstance(first, dict):
        code = first.get("errorCode") or first.get("statusCode") or "UNKNOWN"
        return str(code), str(first.get("message", ""))
    return "UNKNOWN", str(content)[:200]


def translate(exc: Exception) -> Exception:
    """The lawful error for a failed call; `SalesforceExpiredSession` is left for re-login."""
    if isinstance(exc, SalesforceExpiredSession | LawfulError):
        return exc
    if isinstance(exc, SalesforceError):
        code, message = error_code_of(exc.content)
        if code == "REQUEST_LIMIT_EXCEEDED":
            return ApiLimitExceededError(f"{exc.status} {code}: {message}")
        if exc.status >= 500 or exc.status == 429 or code in _RETRIABLE_CODES:
            return SalesforceUnavailableError(f"{exc.status} {code}: {message}")
        return SalesforceRequestError(exc.status, code, message)
    if isinstance(exc, requests.RequestException):
        return SalesforceUnavailableError(f"request failed: {type(exc).__name__}: {exc}")
    return exc
