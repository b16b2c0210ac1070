"""What `lawful erase ...` does (kept apart from argument parsing)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any, cast

from prometheus_client import CollectorRegistry

from schemas.events import ErasureRequested, EventSource
from schemas.messages import PersonMessage
from workers.bridge.health import health_app, start_health_server
from workers.bridge.kafka import build_consumer
from workers.erasure import outputs
from workers.erasure.executor import describe_plan
from workers.erasure.kafka import KafkaProducer
from workers.erasure.service import (
    build_executor,
    consume,
    handle_cdc,
    handle_person_message,
    redis_from,
    resume_pending,
)
from workers.erasure.status import get_request, list_requests
from workers.erasure.steps import plan_request
from workers.erasure.store import ErasureRequest, RequestStore, State
from workers.erasure.suppression import new_request_id
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings


class NoProducer:
    """Dry runs produce nothing."""

    async def send(self, topic: str, key: str, value: Any) -> None:
        raise RuntimeError(f"dry run must not produce to {topic}")


async def request(
    settings: Settings, individual_id: str, request_id: str | None, actor: str
) -> str:
    rid = request_id or new_request_id()
    message = PersonMessage(
        individual_id=individual_id,
        kind="EVENT",
        event=ErasureRequested(
            event_id=f"cli:erasure:{rid}",
            occurred_at=datetime.now(UTC),
            request_id=rid,
            source=EventSource(system=f"cli:{actor}"),
        ),
    )
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
    client = redis_from(settings)
    try:
        executor = build_executor(settings, rest, client, NoProducer())
        draft = ErasureRequest(
            request_id="dry-run", individual_id=individual_id, received_at=datetime.now(UTC)
        )
        planned = await plan_request(
            draft,
            resolver=executor.resolver,
            policy=executor.policy,
            engine=executor.engine,
            recipients=executor.config.recipients,
            hash_key=executor.config.hash_key,
            bulk_threshold=executor.config.bulk_threshold,
        )
        return [*describe_plan(planned), f"  suppression hashes: {len(planned.identifier_hashes)}"]
    finally:
        rest.close()
        await client.aclose()


async def status(settings: Settings, request_id: str | None) -> Any:
    client = redis_from(settings)
    try:
        prefix = settings.redis.key_prefix
        if request_id:
            return await get_request(client, request_id, prefix)
        return await list_requests(client, prefix)
    finally:
        await client.aclose()


async def resume(settings: Settings, request_id: str) -> str | None:
    """Put a blocked request back in the state it was blocked in (the service resumes it)."""
    client = redis_from(settings)
    try:
        store = RequestStore(client, settings.redis.key_prefix)
        current = await store.get(request_id)
        if current is None or current.state != "blocked":
            return None
        earlier = [t.state for t in current.history if t.state != "blocked"]
        back = cast(State, earlier[-1] if earlier else "received")
        await store.put(
            current.moved(back, "resumed by operator").model_copy(update={"attempts": 0})
        )
        return back
    finally:
        await client.aclose()


async def run(settings: Settings) -> None:
    """The executor and suppression consumers until cancelled; /livez, /readyz and /metrics on
    the web port (ready once both consumers and the producer are connected)."""
    registry = CollectorRegistry()
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=registry)
    client = redis_from(settings)
    producer = KafkaProducer(settings.kafka)
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
        executor = build_executor(settings, rest, client, producer, registry=registry)
        await resume_pending(executor)
        await asyncio.gather(
            consume(requests, lambda raw: handle_person_message(executor, raw)),
            consume(cdc, lambda raw: handle_cdc(raw, executor.suppression, producer)),
        )
    finally:
        with contextlib.suppress(Exception):
            await cdc.stop()
            await requests.stop()
        await producer.stop()
        rest.close()
        await client.aclose()
        connected = False
        await web.cleanup()
