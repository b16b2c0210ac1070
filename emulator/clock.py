"""A wall clock that tests can move forward (shared by the REST and streaming halves)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """`now()` is real time plus an adjustable offset in seconds."""

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)


def format_datetime(epoch_s: float) -> str:
    """REST datetime: `2024-07-16T13:29:10.000+0000`."""
    return format_dt(datetime.fromtimestamp(epoch_s, tz=UTC))


def format_dt(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text[:-6] + "+0000"
