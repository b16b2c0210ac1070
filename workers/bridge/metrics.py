"""Prometheus metrics of the bridge (names per docs/deploy.md §10), on an injectable registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class BridgeMetrics:
    """Events in/out per channel, replay lag, expiries and resync requests."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.events_in = Counter(
            "lawful_bridge_events_received",
            "CometD events received, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.events_acked = Counter(
            "lawful_bridge_events_acknowledged",
            "Events whose messages the broker acknowledged and whose replay id was stored",
            ["channel"],
            registry=self.registry,
        )
        self.messages_out = Counter(
            "lawful_bridge_messages_produced",
            "Kafka messages produced, by topic (without prefix) and channel",
            ["topic", "channel"],
            registry=self.registry,
        )
        self.skipped = Counter(
            "lawful_bridge_events_skipped",
            "CDC events of entities lawful does not follow (acknowledged, not produced)",
            ["channel"],
            registry=self.registry,
        )
        self.replay_lag = Gauge(
            "lawful_replay_id_lag_seconds",
            "Age of the last event the bridge stored a replay id for, when it was stored",
            ["channel"],
            registry=self.registry,
        )
        self.replay_expired = Counter(
            "lawful_replay_expired",
            "Subscriptions refused because the stored replay id is outside the retention window",
            ["channel"],
            registry=self.registry,
        )
        self.resync_requests = Counter(
            "lawful_bridge_resync_requests",
            "GAP_OVERFLOW resync requests produced after a replay id expired, by entity",
            ["entity"],
            registry=self.registry,
        )
