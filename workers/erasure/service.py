"""`lawful erase run`: the executor (group lawful-erasure on lawful.person-events.v1) and the
suppression check (group lawful-suppression on lawful.sf-cdc.v1), wired from the Settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import redis.asyncio
import structlog
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from schemas.codes import AlertType
from schemas.messages import SalesforceEvent, person_messages
from schemas.policy import Policy
from workers.erasure import outputs
from workers.erasure.catalogue import EngineCatalogue
from workers.erasure.executor import Executor, ExecutorConfig
from workers.erasure.intake import apply_message, request_id_of
from workers.erasure.metrics import ErasureMetrics
from workers.erasure.policy import load_policy
from workers.erasure.sf import ErasureSalesforce
from workers.erasure.store import RequestStore
from workers.erasure.suppression import (
    SuppressionList,
    SuppressionMatch,
    find_match,
    suppression_message,
)
from workers.erasure.tombstones import TombstoneLog
from workers.pipeline.purposes import load_rules
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings

log = structlog.get_logger("lawful.erasure")
WAITING = frozenset({"done", "failed", "blocked"})


class Consumer(Protocol):
    async def getmany(self, *partitions: Any, timeout_ms: int = 0) -> dict[Any, list[Any]]: ...
    async def commit(self, offsets: dict[Any, int] | None = None) -> None: ...


def hash_key(settings: Settings) -> bytes | None:
    secret = settings.tombstone_key
    return secret.get_secret_value().encode() if secret is not None else None


def engine_policy(settings: Settings) -> Policy:
    """The rules alone (no purposes): what planning falls back to without a catalogue."""
    return Policy(load_rules(settings.engine_config_file), ())


def build_executor(
    settings: Settings,
    rest: SimpleSalesforceRest,
    client: redis.asyncio.Redis,
    producer: outputs.Producer,
    *,
    registry: CollectorRegistry | None = None,
    hook: Callable[[str], None] | None = None,
    guarded: bool = False,
) -> Executor:
    conf, prefix = settings.erasure, settings.redis.key_prefix
    key = hash_key(settings)
    executor = Executor(
        sf=ErasureSalesforce(rest),
        store=RequestStore(client, prefix),
        tombstones=TombstoneLog(
            client, prefix, settings.data_dir / "tombstones.jsonl", guarded=guarded
        ),
        suppression=SuppressionList(client, prefix, key or b""),
        producer=producer,
        policy=load_policy(conf.policy_file),
        engine=engine_policy(settings),
        config=ExecutorConfig(
            recipients=conf.recipients,
            bulk_threshold=conf.bulk_threshold,
            purge_recycle_bin=conf.purge_recycle_bin,
            identity_required=conf.identity_required,
            max_attempts=conf.max_attempts,
            retry_wait_max=conf.retry_wait_max,
            blocked_retry_after=conf.blocked_retry_after,
            service_identity=conf.service_identity,
            hash_key=key,
        ),
        metrics=ErasureMetrics(registry),
        catalogue=EngineCatalogue(client, prefix, load_rules(settings.engine_config_file), rest),
    )
    if hook is not None:
        executor.hook = hook
    return executor


async def handle_person_message(executor: Executor, raw: bytes | None) -> list[str]:
    """Record the erasure events of a lawful.person-events.v1 value (one person message or
    several) and drive their requests; returns the request ids touched, in order."""
    if raw is None:
        return []
    try:
        messages = person_messages(raw)
    except ValidationError:
        return []  # the persons agent dead-letters malformed messages
    touched: list[str] = []
    for message in messages:
        request_id = request_id_of(message)
        if request_id is None:
            continue
        current = await executor.store.get(request_id)
        updated = apply_message(current, message)
        if updated is not None:
            await executor.store.put(updated)
        await executor.run(request_id)
        touched.append(request_id)
    return touched


async def resume_pending(executor: Executor, limit: int = 10_000) -> int:
    """Drive every request a crash left mid-way (not done, failed or blocked)."""
    resumed = 0
    for request_id in await executor.store.ids(limit=limit):
        if executor.stopping:
            break
        request = await executor.store.get(request_id)
        if request is not None and request.state not in WAITING:
            await executor.run(request_id)
            resumed += 1
    return resumed


async def handle_cdc(
    raw: bytes | None, suppression: SuppressionList, producer: outputs.Producer
) -> SuppressionMatch | None:
    """Flag a created Lead/Contact/contact point matching the suppression list: the engine's
    SUPPRESSION event for its Individual (when it names one) and a SUPPRESSION_MATCH alert."""
    if raw is None:
        return None
    try:
        event = SalesforceEvent.model_validate_json(raw)
    except ValidationError:
        return None
    match = await find_match(event, suppression)
    if match is None:
        return None
    message = suppression_message(event, match)
    if message is not None:
        await producer.send(outputs.PERSON_EVENTS, message.individual_id, message)
    person = match.individual_id or match.record_id  # the alert names the record without one
    key = f"suppression-match:{match.record_id}"
    cause = f"{match.entity} {match.record_id} re-created an erased person"
    alert = outputs.alert(
        AlertType.SUPPRESSION_MATCH, person, "", at=datetime.now(UTC), cause=cause, key=key
    )
    await producer.send(outputs.ALERTS, person, alert)
    log.warning("suppression_match", record_id=match.record_id, linked=message is not None)
    return match


async def consume(
    consumer: Consumer, handle: Callable[[bytes | None], Any], stop: asyncio.Event | None = None
) -> None:
    """Until `stop` is set (or cancelled): handle each message, then commit the offsets of the
    messages handled (on stop, the rest of a fetched batch is left for the next start)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=500)
        handled: dict[Any, int] = {}
        for partition, messages in batches.items():
            for message in messages:
                if stop.is_set():
                    break
                await handle(message.value)
                handled[partition] = message.offset + 1
        if handled:
            await consumer.commit(handled)
