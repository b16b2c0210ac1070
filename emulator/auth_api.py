"""Bearer-token checks shared by the REST side and the streaming side (`validate_bearer`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.auth import Session
    from emulator.org import Org


def session_for(org: Org, header_value: str | None) -> Session | None:
    """The live session named by an `Authorization: Bearer <token>` (or `OAuth`) header."""
    if not header_value:
        return None
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return None
    return org.sessions.validate(token.strip())


def bearer_validator(org: Org) -> Callable[[str | None], bool]:
    """`validate_bearer(header_value) -> bool` for StreamingHub.install."""

    def validate_bearer(header_value: str | None) -> bool:
        return session_for(org, header_value) is not None

    return validate_bearer
