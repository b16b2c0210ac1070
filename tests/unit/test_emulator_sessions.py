"""Token lifetime, revocation and the rolling daily API allowance."""

from __future__ import annotations

import pytest

from emulator.auth import SessionStore
from emulator.auth_api import session_for
from emulator.clock import Clock
from emulator.limits import ApiUsage
from emulator.org import Org

pytestmark = pytest.mark.unit


def test_tokens_expire_after_their_lifetime() -> None:
    clock = Clock()
    sessions = SessionStore("00D5g000004ZtQmEAK", clock, ttl_s=60)
    session = sessions.issue("0055g00000B7cRzAAJ")
    assert session.token.startswith("00D5g000004ZtQm!")
    clock.advance(59)
    assert sessions.validate(session.token) == session
    clock.advance(2)
    assert sessions.validate(session.token) is None


def test_revoke_and_bearer_parsing() -> None:
    org = Org()
    token = org.sessions.issue(org.integration_user.user_id).token
    assert session_for(org, f"Bearer {token}") is not None
    assert session_for(org, f"OAuth {token}") is not None
    assert session_for(org, token) is None
    assert session_for(org, "Bearer ") is None
    assert session_for(org, None) is None
    assert org.revoke_tokens() == 1
    assert session_for(org, f"Bearer {token}") is None


def test_allowance_is_a_rolling_24_hours() -> None:
    clock = Clock()
    usage = ApiUsage(clock, limit=3)
    usage.count()
    clock.advance(12 * 3600)
    usage.count(2)
    assert usage.exhausted()
    assert usage.header() == "api-usage=3/3"
    clock.advance(12 * 3600 + 60)
    assert usage.used() == 2
    assert not usage.exhausted()
    usage.exhaust()
    assert usage.used() == 3
    usage.reset()
    assert usage.used() == 0
