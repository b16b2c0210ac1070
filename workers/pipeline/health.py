"""Health and metrics on the worker's web port: /livez, /readyz, /metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def readiness(app: faust.App, started: Callable[[], bool]) -> tuple[bool, str]:
    """Ready once started, and not while rebalancing or recovering tables."""
    if getattr(app, "rebalancing", False):
        return False, "rebalancing"
    if getattr(app, "in_recovery", False):
        return False, "recovering"
    if not started():
        return False, "starting"
    return True, "ready"


def register_health_pages(
    app: faust.App, registry: CollectorRegistry, *, started: Callable[[], bool]
) -> None:
    """Add the three pages; /livez answers as long as the event loop runs."""

    @app.page("/livez")
    async def livez(web: Any, request: Any) -> Any:
        return web.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready, why = readiness(app, started)
        return web.json({"status": why}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])
