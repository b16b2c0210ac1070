"""REST fault injection: latency, bursts of 5xx answers (all off by default)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RestFaults:
    """Faults applied to `/services/data/**` requests before they are handled."""

    latency_s: float = 0.0
    error_status: int = 503
    errors_remaining: int = 0
    non_json_errors: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def error_burst(self, count: int, status: int = 503, *, non_json: bool = False) -> None:
        with self._lock:
            self.errors_remaining = count
            self.error_status = status
            self.non_json_errors = non_json

    def take_error(self) -> int | None:
        """The status to fail the current request with, or None."""
        with self._lock:
            if self.errors_remaining <= 0:
                return None
            self.errors_remaining -= 1
            return self.error_status

    def reset(self) -> None:
        with self._lock:
            self.latency_s = 0.0
            self.errors_remaining = 0
            self.non_json_errors = False

    def state(self) -> dict[str, Any]:
        return {
            "latency_ms": round(self.latency_s * 1000),
            "error_status": self.error_status,
            "errors_remaining": self.errors_remaining,
            "non_json_errors": self.non_json_errors,
        }
