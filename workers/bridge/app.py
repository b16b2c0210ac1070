"""Wiring of `lawful bridge`: Redis, the subscriber, the producer, the health server, SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import redis.asyncio
import structlog

from workers.bridge.health import health_app, start_health_server
from workers.bridge.kafka import build_producer, lawful_topic
from workers.bridge.messages import CDC_TOPIC, EVENTS_TOPIC, subscribed_channels
from workers.bridge.metrics import BridgeMetrics
from workers.bridge.replay_recovery import recover_replay_ids
from workers.bridge.service import Bridge
from workers.operations.backfill import BackfillExecutor
from workers.operations.metrics import OperationMetrics
from workers.operations.queue import OperationQueue
from workers.operations.replay import ReplayExecutor
from workers.operations.runner import OperationsRunner
from workers.redis_client import redis_client
from workers.salesforce.auth import ssl_context
from workers.salesforce.credentials import load_credentials
from workers.salesforce.replay_store import RedisReplayStore, ReplayStore
from workers.salesforce.rest import SimpleSalesforceRest
from workers.salesforce.streaming import StreamSubscriber
from workers.salesforce.streaming_auth import streaming_authenticator
from workers.settings import Settings

log = structlog.get_logger(__name__)


def build_subscriber(
    settings: Settings, store: ReplayStore, channels: list[str]
) -> StreamSubscriber:
    """`StreamSubscriber.from_settings`, with a store the bridge can also `forget` from (the
    live positions in Redis, or a replay operation's own in memory)."""
    credentials = load_credentials(settings.salesforce)
    return StreamSubscriber(
        streaming_authenticator(credentials),
        store,
        channels,
        tls=ssl_context(credentials),
        default_replay=settings.salesforce.streaming_replay_default,
        liveness_timeout=settings.salesforce.streaming_liveness_timeout,
        connect_linger=settings.salesforce.streaming_connect_linger,
    )


async def wait_for_stop(task: asyncio.Task[None]) -> None:
    """Return when `task` ends or SIGTERM/SIGINT arrives (then cancel it and wait)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        stopper.cancel()
        if not task.done():
            log.info("stopping", reason="signal")
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def build_runner(
    settings: Settings,
    client: redis.asyncio.Redis,
    producer: object,
    store: RedisReplayStore,
    metrics: BridgeMetrics,
) -> tuple[OperationsRunner, BackfillExecutor]:
    """The operations runner (backfill and replay requested through `lawful api`)."""
    backfills = BackfillExecutor(
        settings,
        producer,
        lambda: SimpleSalesforceRest.from_settings(settings.salesforce, registry=metrics.registry),
    )
    replays = ReplayExecutor(
        settings,
        producer,  # type: ignore[arg-type]  # AIOKafkaProducer is untyped
        store,
        lambda replay_store, channels: build_subscriber(settings, replay_store, channels),
    )
    runner = OperationsRunner(
        OperationQueue(client, settings.redis.key_prefix),
        {"backfill": backfills, "replay": replays},
        metrics=OperationMetrics(metrics.registry),
    )
    return runner, backfills


async def _serve(bridge: Bridge, runner: OperationsRunner) -> None:
    """The bridge and the operations runner; either failing stops both."""
    async with asyncio.TaskGroup() as group:
        group.create_task(bridge.run(), name="bridge")
        group.create_task(runner.run(), name="operations")


async def run_bridge(settings: Settings) -> None:
    """Run until SIGTERM: stop receiving, wait for acknowledgements, flush, close."""
    channels = subscribed_channels(settings.bridge)
    client = redis_client(settings)
    store = RedisReplayStore(client, key_prefix=settings.redis.key_prefix)
    subscriber = build_subscriber(settings, store, channels)
    producer = build_producer(settings.kafka)
    metrics = BridgeMetrics()
    bridge = Bridge(
        subscriber,
        producer,
        store,
        settings.bridge,
        topic_prefix=settings.kafka.topic_prefix,
        metrics=metrics,
    )
    runner, backfills = build_runner(settings, client, producer, store, metrics)
    connected = False
    web = await start_health_server(
        health_app(lambda: connected and bridge.ready, metrics.registry),
        settings.web.host,
        settings.web.port,
    )
    try:
        await recover_replay_ids(
            store,
            channels,
            settings.kafka,
            [lawful_topic(settings.kafka, CDC_TOPIC), lawful_topic(settings.kafka, EVENTS_TOPIC)],
            scan_max=settings.bridge.replay_recovery_scan_max,
        )
        await producer.start()
        connected = True
        log.info("bridge_started", channels=channels, topic_prefix=settings.kafka.topic_prefix)
        await wait_for_stop(asyncio.create_task(_serve(bridge, runner)))
    finally:
        connected = False
        await producer.stop()  # flushes what is still buffered
        backfills.close()
        await client.aclose()
        await web.cleanup()
        log.info("bridge_stopped")
