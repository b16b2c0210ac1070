"""Operations requested through `lawful api` and executed by `lawful bridge` (real Redis, Tansu,
emulator): a backfill runs to `done` with counts and its snapshots on lawful.sf-cdc.v1; a replay
re-delivers events already delivered; viewers may not ask; a bridge killed with -9 while an
operation runs runs it again after its restart."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import create_lawful_topics
from tests.integration.lawful_process import LawfulProcess, lawful_env, read_topic
from workers.api.app import build_app
from workers.operations.queue import operation_key, queue_key
from workers.settings import ApiSettings, RedisSettings, Settings

ApiClient = TestClient[web.Request, web.Application]
Records = list[tuple[str, dict[str, Any]]]

pytestmark = pytest.mark.integration

VIEWER_KEY = "viewer-key-0123456789abcdef"
OPERATOR_KEY = "operator-key-0123456789abcdef"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
VIEWER = {"Authorization": f"Bearer {VIEWER_KEY}"}
CHANNEL = "/data/ChangeEvents"


@pytest.fixture
async def api(
    redis_client: redis.asyncio.Redis, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[ApiClient]:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"vera viewer {VIEWER_KEY}\notto operator {OPERATOR_KEY}\n")
    settings = Settings(
        redis=RedisSettings(key_prefix=redis_prefix), api=ApiSettings(api_keys_file=keys_file)
    )
    client = TestClient(TestServer(build_app(settings, redis_client), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def env(
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> dict[str, str]:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    return lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_BRIDGE__ENTITIES='["Contact", "Individual"]',
        LAWFUL_BRIDGE__BACKFILL_PAGE_SIZE="200",
    )


def start_bridge(env: dict[str, str], log: Path) -> LawfulProcess:
    bridge = LawfulProcess(["bridge"], env, log).start()
    bridge.wait_ready()
    return bridge


def create(emulator: EmulatorHandle, entity: str, names: list[str]) -> list[str]:
    sf = emulator.salesforce()
    try:
        return [str(sobject(sf, entity).create({"LastName": name})["id"]) for name in names]
    finally:
        sf.session.close()


def count_of(emulator: EmulatorHandle, entity: str) -> int:
    sf = emulator.salesforce()
    try:
        return int(sf.query(f"SELECT COUNT() FROM {entity}")["totalSize"])  # noqa: S608
    finally:
        sf.session.close()


async def wait_for(
    api: ApiClient, location: str, statuses: set[str], within: float = 60.0
) -> dict[str, Any]:
    """Poll `GET location` (as a viewer) until its status is one of `statuses`."""
    deadline = time.monotonic() + within
    while True:
        answer = await api.get(location, headers=VIEWER)
        assert answer.status == 200
        operation: dict[str, Any] = await answer.json()
        if operation["status"] in statuses:
            return operation
        assert time.monotonic() < deadline, f"still {operation} after {within}s"
        await asyncio.sleep(0.2)


async def request(api: ApiClient, path: str, body: dict[str, Any]) -> str:
    answer = await api.post(path, json=body, headers=OPERATOR)
    assert answer.status == 202, await answer.text()
    return answer.headers["Location"]


def values_of(records: Records, key: str, change_type: str) -> list[dict[str, Any]]:
    return [v for k, v in records if k == key and v["change_type"] == change_type]


def without_time(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != "received_at"}


async def test_replay_is_for_operators(
    api: ApiClient, redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    body = {"channel": CHANNEL, "replay_id": -2}
    assert (await api.post("/v1/operations/replay", json=body)).status == 401
    assert (await api.post("/v1/operations/replay", json=body, headers=VIEWER)).status == 403
    bad_bodies = [
        {"channel": CHANNEL, "replay_id": -1},
        {"channel": "data", "replay_id": 5},
        {"channel": CHANNEL},
        {"channel": CHANNEL, "replay_id": 5, "extra": 1},
    ]
    for bad in bad_bodies:
        answer = await api.post("/v1/operations/replay", json=bad, headers=OPERATOR)
        assert answer.status == 400, bad
    location = await request(api, "/v1/operations/replay", {"channel": CHANNEL, "replay_id": 42})
    operation = await wait_for(api, location, {"queued"})
    assert (operation["kind"], operation["channel"], operation["replay_id"]) == (
        "replay",
        CHANNEL,
        42,
    )
    assert operation["requested_by"] == "otto"
    queued = await redis_client.lrange(queue_key(redis_prefix, "replay"), 0, -1)
    assert queued == [operation["id"].encode()]


async def test_backfill_operation_runs_in_the_bridge(
    *,
    api: ApiClient,
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = await asyncio.to_thread(create, emulator, "Individual", [f"Op{tag}{i}" for i in range(3)])
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        location = await request(api, "/v1/operations/backfill", {"entities": ["Individual"]})
        operation = await wait_for(api, location, {"done", "failed"})
        assert operation["status"] == "done", operation
        total = await asyncio.to_thread(count_of, emulator, "Individual")
        assert operation["records_read"] == operation["events_produced"] == total >= 3
        assert operation["attempts"] == 1
        assert operation["error"] is None
        assert operation["started_at"] <= operation["finished_at"]
        records = await read_topic(
            kafka_bootstrap,
            f"{topic_prefix}lawful.sf-cdc.v1",
            done=lambda got: all(values_of(got, i, "SNAPSHOT") for i in ids),
        )
        snapshot = values_of(records, ids[0], "SNAPSHOT")[0]
        assert (snapshot["origin"], snapshot["entity"]) == ("backfill", "Individual")
        assert snapshot["payload"]["Name"]["LastName"] == f"Op{tag}0"

        location = await request(api, "/v1/operations/backfill", {"entities": ["Opportunity"]})
        failed = await wait_for(api, location, {"done", "failed"})
        assert failed["status"] == "failed"
        assert "Opportunity" in failed["error"]
        metrics = bridge.metrics()
        assert 'lawful_operations_finished_total{kind="backfill",status="done"} 1.0' in metrics
        assert bridge.terminate() == 0
    finally:
        bridge.kill()


async def test_replay_operation_redelivers_events_already_delivered(
    *,
    api: ApiClient,
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    tag = uuid.uuid4().hex[:8]
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        marker = (await asyncio.to_thread(create, emulator, "Contact", [f"M{tag}"]))[0]
        ids = await asyncio.to_thread(create, emulator, "Contact", [f"R{tag}{i}" for i in range(3)])
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: all(values_of(got, i, "CREATE") for i in [marker, *ids]),
        )
        assert all(len(values_of(records, i, "CREATE")) == 1 for i in ids)
        after = int(values_of(records, marker, "CREATE")[0]["replay_id"])

        location = await request(
            api, "/v1/operations/replay", {"channel": CHANNEL, "replay_id": after}
        )
        operation = await wait_for(api, location, {"done", "failed"})
        assert operation["status"] == "done", operation
        assert operation["records_read"] >= 3
        assert operation["events_produced"] >= 3
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: all(len(values_of(got, i, "CREATE")) == 2 for i in ids),
        )
        for record_id in ids:
            first, second = (without_time(v) for v in values_of(records, record_id, "CREATE"))
            assert first == second  # the same event (replay id, payload), delivered again
        assert len(values_of(records, marker, "CREATE")) == 1  # the replay starts after its id
    finally:
        bridge.kill()


async def test_an_operation_running_when_the_bridge_is_killed_runs_again_after_restart(
    *,
    api: ApiClient,
    emulator: EmulatorHandle,
    env: dict[str, str],
    redis_client: redis.asyncio.Redis,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        emulator.org.faults.latency_s = 1.0  # every Salesforce REST call takes a second
        location = await request(api, "/v1/operations/backfill", {"entities": ["Individual"]})
        running = await wait_for(api, location, {"running", "done", "failed"})
        assert running["status"] == "running"
        bridge.kill()
        emulator.org.faults.latency_s = 0.0
        stuck = await wait_for(api, location, {"running"})
        assert stuck["finished_at"] is None
        bridge = start_bridge(env, tmp_path / "bridge.log")
        operation = await wait_for(api, location, {"done", "failed"})
        assert operation["status"] == "done", operation
        assert operation["attempts"] == 2
        total = await asyncio.to_thread(count_of, emulator, "Individual")
        assert operation["records_read"] == operation["events_produced"] == total
        key = operation_key(redis_prefix, operation["id"])
        assert await redis_client.hget(key, "status") == b"done"
        assert 'lawful_operations_requeued_total{kind="backfill"} 1.0' in bridge.metrics()
    finally:
        emulator.org.faults.latency_s = 0.0
        bridge.kill()
