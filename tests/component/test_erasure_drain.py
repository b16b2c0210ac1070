"""Erasure executor on fakeredis: the oldest-open-request gauge, a drain that stops after the
step in flight (and a resume that finishes it), and consumers that commit only what they handled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
import pytest
import redis.asyncio
import redis.exceptions
from prometheus_client import generate_latest
from pydantic import BaseModel

from handlers.erasure_graph import ActionPlan
from schemas.config import RulesConfig
from schemas.policy import Policy
from workers.erasure.executor import Executor, ExecutorConfig
from workers.erasure.metrics import ErasureMetrics
from workers.erasure.policy import load_policy
from workers.erasure.service import consume
from workers.erasure.store import ErasureRequest, RequestStore
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog

pytestmark = pytest.mark.component
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    yield fake
    await fake.aclose()


def made(request_id: str, hours: int, *states: str) -> ErasureRequest:
    request = ErasureRequest(
        request_id=request_id,
        individual_id="0PK000000000001",
        received_at=T0 + timedelta(hours=hours),
    )
    for state in states:
        request = request.moved(state)  # type: ignore[arg-type]
    return request


async def test_oldest_open_request_age(client: redis.asyncio.Redis) -> None:
    store = RequestStore(client, "t:")
    metrics = ErasureMetrics()
    now = (T0 + timedelta(hours=10)).timestamp()
    assert await metrics.refresh(store, now) == 0.0  # none open
    await store.put(made("er-old", 0, "planned", "done"))
    await store.put(made("er-blocked", 2, "planned", "blocked"))
    await store.put(made("er-new", 6, "planned"))
    assert await metrics.refresh(store, now) == 8 * 3600  # blocked counts as open
    text = generate_latest(metrics.registry).decode()
    assert "lawful_erasure_oldest_open_seconds 28800.0" in text
    await store.put(made("er-blocked", 2, "planned", "blocked", "failed"))
    assert await metrics.refresh(store, now) == 4 * 3600
    await store.put(made("er-new", 6, "planned", "done"))
    assert await metrics.refresh(store, now) == 0.0


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, BaseModel]] = []

    async def send(self, topic: str, key: str, value: BaseModel) -> None:
        self.sent.append((topic, key, value))


class NoSalesforce:
    calls = 0

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"no Salesforce call expected: {name}")


def executor(client: redis.asyncio.Redis, recorder: Recorder) -> Executor:
    return Executor(
        sf=NoSalesforce(),  # type: ignore[arg-type]
        store=RequestStore(client, "t:"),
        tombstones=TombstoneLog(client, "t:", None),
        suppression=SuppressionList(client, "t:", b"k" * 32),
        producer=recorder,
        policy=load_policy(),
        engine=Policy(RulesConfig(), ()),
        config=ExecutorConfig(recipients=("broker-1",)),
    )


async def test_drain_stops_after_the_step_in_flight_and_resume_finishes(
    client: redis.asyncio.Redis,
) -> None:
    recorder = Recorder()
    first = executor(client, recorder)
    purging = made("er-1", 0, "planned", "masking", "deleting", "purging")
    await first.store.put(purging.model_copy(update={"plan": ActionPlan(), "executed_at": T0}))

    def sigterm_during(point: str) -> None:
        if point == "notifying:suppression":  # SIGTERM arrives inside the notifying step
            first.stop()

    first.hook = sigterm_during
    paused = await first.run("er-1")
    assert paused is not None
    assert paused.state == "tombstoned"  # notifying finished and was persisted, nothing after
    stored = await first.store.get("er-1")
    assert stored is not None
    assert stored.state == "tombstoned"
    assert [t for t, _, _ in recorder.sent].count("lawful.tombstones.v1") == 0
    second = executor(client, recorder)
    done = await second.run("er-1")
    assert done is not None
    assert done.state == "done"
    topics = [t for t, _, _ in recorder.sent]
    assert topics.count("lawful.erasure-notifications.v1") == 1
    assert topics.count("lawful.tombstones.v1") == 1


@dataclass
class Message:
    offset: int
    value: bytes


class FakeConsumer:
    def __init__(self, batch: list[Message]) -> None:
        self.batches = [{"p0": batch}]
        self.commits: list[dict[Any, int] | None] = []

    async def getmany(self, *partitions: Any, timeout_ms: int = 0) -> dict[Any, list[Any]]:
        await asyncio.sleep(0)
        return self.batches.pop(0) if self.batches else {}

    async def commit(self, offsets: dict[Any, int] | None = None) -> None:
        self.commits.append(offsets)


async def test_stop_mid_batch_commits_only_the_handled_messages() -> None:
    consumer = FakeConsumer([Message(10, b"a"), Message(11, b"b"), Message(12, b"c")])
    stop = asyncio.Event()
    handled: list[bytes | None] = []

    async def handle(raw: bytes | None) -> None:
        handled.append(raw)
        if raw == b"b":
            stop.set()  # SIGTERM while the second message is handled

    await asyncio.wait_for(consume(consumer, handle, stop), 5)
    assert handled == [b"a", b"b"]
    assert consumer.commits == [{"p0": 12}]  # message 12 is left for the next start


class BrokenStore:
    async def oldest_open(self) -> float | None:
        raise redis.exceptions.ConnectionError("down")


async def test_metrics_survive_a_redis_failure() -> None:
    metrics = ErasureMetrics()
    metrics.oldest_open.set(5.0)
    metrics.last_age = 5.0
    assert await metrics.refresh(BrokenStore()) == 5.0
