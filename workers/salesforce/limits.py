"""API usage: `Sforce-Limit-Info` parsing, lawful's share of the daily allowance, metrics."""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from workers.salesforce.errors import ApiBudgetExhaustedError

_API_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(?P<used>\d+)/(?P<total>\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """Daily API requests used and allowed, as the last response reported them."""

    used: int
    total: int

    @property
    def ratio(self) -> float:
        return self.used / self.total if self.total else 1.0


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """`api-usage=18/15000[; per-app-api-usage=...]` -> ApiUsage(18, 15000); None if absent."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    if match is None:
        return None
    return ApiUsage(used=int(match["used"]), total=int(match["total"]))


class SalesforceMetrics:
    """Prometheus metrics of the REST adapter, on an injectable registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "lawful_salesforce_requests",
            "Salesforce REST requests by operation and HTTP status ('error' = no response)",
            ["op", "status"],
            registry=self.registry,
        )
        self.api_usage_ratio = Gauge(
            "lawful_salesforce_api_usage_ratio",
            "Share of the org's daily API allowance used, from Sforce-Limit-Info",
            registry=self.registry,
        )


class ApiBudget:
    """Refuses calls once lawful's share (`api_budget_share`) of the daily allowance is used.

    Thread-safe: responses are observed in worker threads. Calls in flight count as used, so
    concurrent callers cannot overshoot the share together.
    """

    def __init__(self, share: float, metrics: SalesforceMetrics) -> None:
        if not 0 < share <= 1:
            raise ValueError("api_budget_share must be in (0, 1]")
        self.share = share
        self._metrics = metrics
        self._lock = threading.Lock()
        self._usage: ApiUsage | None = None
        self._in_flight = 0

    @property
    def usage(self) -> ApiUsage | None:
        return self._usage

    def allowed(self, total: int) -> int:
        return math.floor(total * self.share)

    def observe(self, header: str | None) -> None:
        """Record the usage a response reported (every response, errors included)."""
        usage = parse_limit_info(header)
        if usage is None:
            return
        with self._lock:
            self._usage = usage
        self._metrics.api_usage_ratio.set(usage.ratio)

    def forget(self) -> None:
        """Drop the last observed usage: the next call is sent and re-reads it (after a cool-down
        an exhausted budget would otherwise refuse every call without asking Salesforce)."""
        with self._lock:
            self._usage = None

    def acquire(self) -> None:
        """Reserve one request or raise `ApiBudgetExhaustedError` (non-retriable)."""
        with self._lock:
            usage = self._usage
            if usage is not None:
                allowed = self.allowed(usage.total)
                if usage.used + self._in_flight >= allowed:
                    raise ApiBudgetExhaustedError(usage.used, allowed, usage.total)
            self._in_flight += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
