"""Identifiers the streaming side hands out: client ids, browser ids, schema ids, UUIDs."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_client_id() -> str:
    """A CometD client id in Salesforce's style (lower-case base36, ~27 characters)."""
    return "".join(secrets.choice(_BASE36) for _ in range(27))


def new_browser_id() -> str:
    """A BAYEUX_BROWSER cookie value."""
    return secrets.token_hex(8) + "-" + secrets.token_hex(4)


def new_event_uuid() -> str:
    return str(uuid.uuid4())


def schema_id(*parts: str) -> str:
    """A stable 22-character schema id (base64url, like Salesforce's) for an event shape."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


class ReplayIdSequence:
    """Strictly increasing, deliberately non-contiguous replay ids (not thread-safe alone)."""

    def __init__(self, first: int) -> None:
        self._next = first
        self._count = 0

    def next(self) -> int:
        value = self._next
        self._count += 1
        self._next += 1 + self._count % 3
        return value
