"""`lawful erase run` as a real process: SIGTERM while a request is being executed drains (the
step in flight finishes and is persisted, exit code 0); the next start resumes it to `done`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis.asyncio

from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics
from tests.integration.erasure_people import build_person
from tests.integration.lawful_process import LawfulProcess, lawful_env
from workers.cli import main
from workers.erasure import cli_actions
from workers.erasure.store import RequestStore
from workers.settings import KafkaSettings, Settings

pytestmark = pytest.mark.integration
MID_WAY = frozenset({"planned", "masking", "deleting", "purging", "notifying", "tombstoned"})


async def wait_for_state(
    store: RequestStore, request_id: str, wanted: frozenset[str], within: float
) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        request = await store.get(request_id)
        if request is not None and request.state in wanted:
            return request.state
        await asyncio.sleep(0.05)
    request = await store.get(request_id)
    raise AssertionError(f"{request_id} not in {sorted(wanted)}: {request}")


async def test_sigterm_drains_then_a_restart_finishes(
    *,
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    redis_client: redis.asyncio.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    sf = emulator.salesforce()
    try:
        person = build_person(sf)
    finally:
        sf.session.close()
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_TOMBSTONE_KEY="drain-test-tombstone-key-0123456789",
        LAWFUL_DATA_DIR=str(tmp_path),
        LAWFUL_ERASURE__RECIPIENTS='["reinsurer-7"]',
    )
    store = RequestStore(redis_client, redis_prefix)
    first = LawfulProcess(["erase", "run"], env, tmp_path / "erase-1.log").start()
    second: LawfulProcess | None = None
    try:
        first.wait_ready(60)
        emulator.org.faults.latency_s = 1.0  # every Salesforce call takes a second
        settings = Settings(
            kafka=KafkaSettings(bootstrap=kafka_bootstrap, topic_prefix=topic_prefix)
        )
        request_id = await cli_actions.request(settings, person.individual_id, None, "test")
        await wait_for_state(store, request_id, MID_WAY - {"tombstoned"}, within=60)
        exit_code = await asyncio.to_thread(first.terminate, 30)
        assert exit_code == 0, first.log()
        paused = await store.get(request_id)
        assert paused is not None
        assert paused.state in MID_WAY, paused.state  # stopped between two persisted steps
        assert paused.history[-1].state == paused.state
        assert "erasure_stopped" in first.log()
        assert "Traceback" not in first.log()

        emulator.org.reset_faults()
        second = LawfulProcess(["erase", "run"], env, tmp_path / "erase-2.log").start()
        await wait_for_state(store, request_id, frozenset({"done"}), within=60)
        done = await store.get(request_id)
        assert done is not None
        states = [t.state for t in done.history]
        assert states.count(paused.state) == 1  # resumed, not started again
        assert states[-1] == "done"
        assert await asyncio.to_thread(second.terminate, 30) == 0
    finally:
        emulator.org.reset_faults()
        first.kill()
        if second is not None:
            second.kill()
    monkeypatch.setenv("LAWFUL_REDIS__URL", redis_url)
    monkeypatch.setenv("LAWFUL_REDIS__KEY_PREFIX", redis_prefix)
    assert await asyncio.to_thread(main, ["tombstones", "verify"]) == 0
