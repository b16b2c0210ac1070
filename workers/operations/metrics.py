"""Prometheus metrics of the operations runner, on the bridge's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class OperationMetrics:
    """Operations finished by kind and outcome, and the ones running now."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.finished = Counter(
            "lawful_operations_finished",
            "Operations (backfill, replay) that ended, by kind and status (done, failed)",
            ["kind", "status"],
            registry=self.registry,
        )
        self.running = Gauge(
            "lawful_operations_running",
            "Operations being executed now, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.requeued = Counter(
            "lawful_operations_requeued",
            "Operations found claimed but unfinished at start (runner killed) and run again",
            ["kind"],
            registry=self.registry,
        )
