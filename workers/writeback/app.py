"""Wiring of `lawful writeback`: consumer, REST adapter marked `client=lawful-writeback`, health
server, SIGTERM (stop consuming, flush pending writes, commit, close)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from prometheus_client import CollectorRegistry

from handlers.loop_guard import WRITEBACK_CLIENT
from workers.bridge.app import wait_for_stop
from workers.bridge.health import health_app, start_health_server
from workers.bridge.kafka import build_consumer
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings
from workers.writeback.service import Writeback
from workers.writeback.writer import StatusWriter, WritebackMetrics

log = structlog.get_logger(__name__)

PERMISSIONS_TOPIC = "lawful.permissions.v1"


async def run_writeback(settings: Settings) -> None:
    registry = CollectorRegistry()
    # Every write carries `Sforce-Call-Options: client=lawful-writeback`: its CDC events say so.
    salesforce = settings.salesforce.model_copy(update={"call_options_client": WRITEBACK_CLIENT})
    rest = SimpleSalesforceRest.from_settings(salesforce, registry=registry)
    consumer = build_consumer(
        settings.kafka, PERMISSIONS_TOPIC, group_id=settings.writeback.group_id
    )
    metrics = WritebackMetrics(registry)
    writer = StatusWriter(rest, metrics, calls_per_minute=settings.writeback.calls_per_minute)
    writeback = Writeback(
        consumer,
        writer,
        metrics,
        flush_interval=settings.writeback.flush_interval,
        max_batch=settings.writeback.max_batch,
    )
    connected = False
    web = await start_health_server(
        health_app(lambda: connected, registry), settings.web.host, settings.web.port
    )
    try:
        await consumer.start()
        connected = True
        log.info("writeback_started", group_id=settings.writeback.group_id)
        await wait_for_stop(asyncio.create_task(writeback.run()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(writeback.flush(), 20)
    finally:
        connected = False
        await consumer.stop()
        rest.close()
        await web.cleanup()
        log.info("writeback_stopped", flushes=writeback.flushes)
