"""Prometheus metrics of the erasure executor (no labels carry personal data)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ErasureMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Gauge(
            "lawful_erasure_requests",
            "Erasure requests seen by this process, by current state",
            ["state"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "lawful_erasure_seconds",
            "Time from request received to tombstone",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
            registry=self.registry,
        )
        self.records = Counter(
            "lawful_erasure_records",
            "Records erased, by action",
            ["action"],
            registry=self.registry,
        )

    def moved(self, before: str | None, after: str) -> None:
        if before is not None:
            self.requests.labels(state=before).dec()
        self.requests.labels(state=after).inc()
