"""What `lawful erase ...` does (kept apart from argument parsing)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from workers.bridge.health import health_app, start_health_server
from workers.bridge.kafka import build_consumer
from workers.erasure import outputs
from workers.erasure.cooldown import retry_blocked
from workers.erasure.executor import Executor, describe_plan
from workers.erasure.intake import request_message
from workers.erasure.kafka import KafkaProducer
from workers.erasure.recovery import keep_restored, restore_erasure_state
from workers.erasure.service import (
    build_executor,
    consume,
    handle_cdc,
    handle_person_message,
    resume_pending,
)
from workers.erasure.status import get_request, list_requests
from workers.erasure.steps import plan_request
from workers.erasure.store import ErasureRequest, RequestStore
from workers.erasure.suppression import new_request_id
from workers.redis_client import redis_client
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings

log = structlog.get_logger("lawful.erasure")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class NoProducer:
    """Dry runs produce nothing."""

    async def send(self, topic: str, key: str, value: Any) -> None:
        raise RuntimeError(f"dry run must not produce to {topic}")


async def request(
    settings: Settings, individual_id: str, request_id: str | None, actor: str, via: str = "cli"
) -> str:
    """Produce an ERASURE_REQUESTED for the executor; returns the request id."""
    rid = request_id or new_request_id()
    message = request_message(individual_id, rid, f"{via}:{actor}")
    producer = KafkaProducer(settings.kafka)
    await producer.start()
    try:
        await producer.send(outputs.PERSON_EVENTS, individual_id, message)
    finally:
        await producer.stop()
    return rid


async def plan(settings: Settings, individual_id: str) -> list[str]:
    """Resolve and plan without writing anything (Salesforce reads only)."""
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    client = redis_client(settings)
    try:
        executor = build_executor(settings, rest, client, NoProducer())
        draft = ErasureRequest(
            request_id="dry-run", individual_id=individual_id, received_at=datetime.now(UTC)
        )
        planned = await plan_request(
            draft,
            resolver=executor.resolver,
            policy=executor.policy,
            engine=await executor.engine_policy(),
            recipients=executor.config.recipients,
            hash_key=executor.config.hash_key,
            bulk_threshold=executor.config.bulk_threshold,
        )
        return [*describe_plan(planned), f"  suppression hashes: {len(planned.identifier_hashes)}"]
    finally:
        rest.close()
        await client.aclose()


async def status(settings: Settings, request_id: str | None) -> Any:
    client = redis_client(settings)
    try:
        prefix = settings.redis.key_prefix
        if request_id:
            return await get_request(client, request_id, prefix)
        return await list_requests(client, prefix)
    finally:
        await client.aclose()


async def resume(settings: Settings, request_id: str) -> str | None:
    """Put a blocked request back in the state it was blocked in (the service resumes it)."""
    client = redis_client(settings)
    try:
        store = RequestStore(client, settings.redis.key_prefix)
        current = await store.get(request_id)
        if current is None or current.state != "blocked":
            return None
        resumed = current.resumed("resumed by operator")
        await store.put(resumed)
        return resumed.state
    finally:
        await client.aclose()


async def refresh_metrics(executor: Executor, stop: asyncio.Event, every: float = 5.0) -> None:
    """Keep the oldest-open-request gauge current until `stop` is set."""
    while not stop.is_set():
        await executor.metrics.refresh(executor.store)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def run(settings: Settings) -> None:
    """The executor and suppression consumers until SIGTERM/SIGINT (or cancelled); /livez,
    /readyz and /metrics on the web port (ready once both consumers and the producer are
    connected). On SIGTERM: no new message is taken, the request in flight finishes its current
    step (persisted; the next start resumes it), offsets of handled messages are committed, the
    consumers and the producer are closed and the process exits 0."""
    registry = CollectorRegistry()
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=registry)
    client = redis_client(settings)
    producer = KafkaProducer(settings.kafka)
    executor = build_executor(settings, rest, client, producer, registry=registry, guarded=True)
    stop = asyncio.Event()

    def on_signal() -> None:
        log.info("erasure_draining")
        stop.set()
        executor.stop()

    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, on_signal)
    connected = False
    web = await start_health_server(
        health_app(lambda: connected, registry), settings.web.host, settings.web.port
    )
    conf = settings.erasure
    requests = build_consumer(settings.kafka, outputs.PERSON_EVENTS, group_id=conf.group_id)
    cdc = build_consumer(settings.kafka, "lawful.sf-cdc.v1", group_id=conf.suppression_group_id)
    try:
        await producer.start()
        await requests.start()
        await cdc.start()
        connected = True
        restore = functools.partial(
            restore_erasure_state, client, executor.tombstones, executor.suppression, settings.kafka
        )
        await restore()  # before any request resumes: appends wait for a whole chain
        await resume_pending(executor)
        await asyncio.gather(
            keep_restored(restore, stop),
            consume(requests, lambda raw: handle_person_message(executor, raw), stop),
            consume(cdc, lambda raw: handle_cdc(raw, executor.suppression, producer), stop),
            refresh_metrics(executor, stop),
            retry_blocked(executor, stop),
        )
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
        connected = False
        with contextlib.suppress(Exception):
            await cdc.stop()
        with contextlib.suppress(Exception):
            await requests.stop()
        await producer.stop()
        rest.close()
        await client.aclose()
        await web.cleanup()
        log.info("erasure_stopped", drained=stop.is_set())
