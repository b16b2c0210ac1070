"""The rolling 24-hour daily API request allowance and the `/limits` figures."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from emulator.clock import Clock

WINDOW_S = 24 * 3600
BUCKET_S = 60


@dataclass
class ApiUsage:
    """Counts REST calls in one-minute buckets over a rolling 24 hours."""

    clock: Clock
    limit: int = 15_000
    _buckets: deque[list[int]] = field(default_factory=deque)  # [minute, count]
    _total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _prune(self, minute: int) -> None:
        oldest = minute - WINDOW_S // BUCKET_S
        while self._buckets and self._buckets[0][0] <= oldest:
            self._total -= self._buckets.popleft()[1]

    def used(self) -> int:
        with self._lock:
            self._prune(int(self.clock.now()) // BUCKET_S)
            return self._total

    def exhausted(self) -> bool:
        return self.used() >= self.limit

    def count(self, calls: int = 1) -> int:
        minute = int(self.clock.now()) // BUCKET_S
        with self._lock:
            self._prune(minute)
            if self._buckets and self._buckets[-1][0] == minute:
                self._buckets[-1][1] += calls
            else:
                self._buckets.append([minute, calls])
            self._total += calls
            return self._total

    def exhaust(self) -> None:
        """Use up the whole allowance (fault injection)."""
        self.count(max(self.limit - self.used(), 0))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._total = 0

    def header(self) -> str:
        return f"api-usage={self.used()}/{self.limit}"
