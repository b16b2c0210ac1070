"""The rolling 24-hour event delivery allocation, counted per org and per client."""

from __future__ import annotations

from collections.abc import Callable

_HOUR = 3600.0


class DeliveryAllocation:
    """Counts deliveries in hourly buckets; the allocation covers the last 24 of them."""

    def __init__(self, maximum: int, clock: Callable[[], float]) -> None:
        self.maximum = maximum
        self._clock = clock
        self._buckets: dict[int, int] = {}
        self._exhausted = False

    def _hour(self) -> int:
        return int(self._clock() // _HOUR)

    def used(self) -> int:
        if self._exhausted:
            return self.maximum
        oldest = self._hour() - 23
        for hour in [hour for hour in self._buckets if hour < oldest]:
            del self._buckets[hour]
        return sum(self._buckets.values())

    def remaining(self) -> int:
        return max(0, self.maximum - self.used())

    def record(self, count: int) -> None:
        if count > 0:
            hour = self._hour()
            self._buckets[hour] = self._buckets.get(hour, 0) + count

    def exhaust(self) -> None:
        """Fault injection: behave as if the allocation were used up."""
        self._exhausted = True

    def reset(self) -> None:
        self._buckets.clear()
        self._exhausted = False
