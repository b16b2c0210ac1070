"""Prometheus metrics of the projection and the API (one registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

SNAPSHOTS = Counter(
    "lawful_projection_snapshots",
    "Snapshots consumed, by outcome (written, stale, invalid)",
    ["outcome"],
    registry=REGISTRY,
)
STATES = Counter(
    "lawful_projection_states",
    "Person states (persons changelog) consumed, by outcome (written, stale, invalid)",
    ["outcome"],
    registry=REGISTRY,
)
ALERTS = Counter("lawful_projection_alerts", "Alerts consumed", registry=REGISTRY)
REBUILDS = Counter(
    "lawful_projection_rebuilds", "Projection rebuilds from Kafka", registry=REGISTRY
)
CAUGHT_UP = Gauge(
    "lawful_projection_caught_up",
    "1 once the projection reached the topics' end",
    registry=REGISTRY,
)
REQUESTS = Counter(
    "lawful_api_requests",
    "API requests by route and status",
    ["route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "lawful_api_request_seconds", "API request latency by route", ["route"], registry=REGISTRY
)
