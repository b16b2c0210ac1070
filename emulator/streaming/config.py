"""Tunable behaviour of the emulated Streaming API (defaults mirror Salesforce)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StreamingConfig:
    """Limits and timings of the streaming side; tests shrink the timings."""

    retention_seconds: float = 72 * 3600
    long_poll_timeout_s: float = 110.0
    client_expiry_s: float = 40.0
    overflow_threshold: int = 100_000
    # Rolling 24-hour delivery allocation for the whole org (CDC + platform events, counted once
    # per subscriber and event). Salesforce's default for Performance/Unlimited is 50,000; the
    # emulator defaults higher so seeded replays don't trip it by accident.
    daily_delivery_allocation: int = 1_000_000
    merge_identical_changes: bool = True
    max_events_per_response: int = 500
    max_request_bytes: int = 32_768
    require_browser_cookie: bool = True
    default_user_id: str = "005000000000001AAA"
    first_replay_id: int = 18_000_000
    # advice.timeout sent on the first connect; None = the long-poll timeout, at least 5 s, so
    # aiocometd's HTTP timeout (1.2 x advice) leaves room when tests shorten the long poll.
    advice_timeout_ms: int | None = None
    # Org-wide concurrent CometD clients (Performance/Unlimited: 2,000).
    max_concurrent_clients: int = 2_000
    # A change whose text values exceed this many characters becomes a GAP_* event (the 1 MB
    # event message limit; a rough size: the sum of its string values).
    max_event_chars: int = 1_000_000
