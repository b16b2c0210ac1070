"""Prometheus metrics of the erasure executor (no labels carry personal data)."""

from __future__ import annotations

import time
from typing import Protocol

import redis.exceptions
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class OpenRequests(Protocol):
    async def oldest_open(self) -> float | None: ...


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
        self.oldest_open = Gauge(
            "lawful_erasure_oldest_open_seconds",
            "Age of the oldest erasure request not done or failed (0 when none is open)",
            registry=self.registry,
        )
        self.last_age = 0.0

    def moved(self, before: str | None, after: str) -> None:
        if before is not None:
            self.requests.labels(state=before).dec()
        self.requests.labels(state=after).inc()

    async def refresh(self, store: OpenRequests, now: float | None = None) -> float:
        """Set the oldest-open gauge from the store; returns the age in seconds (a Redis
        failure leaves the gauge as it was: metrics never stop an erasure)."""
        try:
            received = await store.oldest_open()
        except (redis.exceptions.RedisError, OSError):
            return self.last_age
        age = 0.0 if received is None else max(0.0, (now or time.time()) - received)
        self.oldest_open.set(age)
        self.last_age = age
        return age
