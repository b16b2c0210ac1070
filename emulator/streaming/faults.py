"""Fault injection state for the CometD endpoint (all off by default)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

HttpFault = Literal["busy", "http503", "drop"]
HTTP_FAULTS: tuple[HttpFault, ...] = ("busy", "http503", "drop")


@dataclass
class StreamingFaults:
    """Pending faults; each queued HTTP fault spoils exactly one /cometd request."""

    http_faults: deque[HttpFault] = field(default_factory=deque)
    duplicates: int = 0  # the next N delivered events are sent twice

    def fail_next(self, kind: HttpFault, count: int = 1) -> None:
        if kind not in HTTP_FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {HTTP_FAULTS}")
        self.http_faults.extend([kind] * count)

    def take_http_fault(self) -> HttpFault | None:
        return self.http_faults.popleft() if self.http_faults else None

    def reset(self) -> None:
        self.http_faults.clear()
        self.duplicates = 0
