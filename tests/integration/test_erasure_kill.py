"""`lawful erase run` as a real process killed with SIGKILL (kill -9) once the request reached
each state in turn: the next process resumes it and every run ends the same way (the person's
values gone from the org, one tombstone, one notification per recipient, the chain intact)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis.asyncio

from schemas.tombstone import ErasureNotification
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, read_values
from tests.integration.erasure_people import build_person
from tests.integration.lawful_process import LawfulProcess, lawful_env
from workers.cli import main
from workers.erasure import cli_actions
from workers.erasure.store import RequestStore
from workers.erasure.tombstones import TombstoneLog
from workers.settings import KafkaSettings, Settings

pytestmark = pytest.mark.integration
ORDER = ("received", "planned", "masking", "deleting", "purging", "notifying", "tombstoned", "done")
TARGETS = ("planned", "masking", "deleting", "purging", "notifying", "tombstoned")
RECIPIENTS = ("reinsurer-7", "mailing-house")
SLOW = frozenset({"planned", "masking", "deleting", "purging"})  # steps calling Salesforce


async def wait_until(store: RequestStore, request_id: str, state: str, within: float) -> str:
    """Poll until the persisted state is `state` or later; returns the state seen."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        request = await store.get(request_id)
        if request is not None and ORDER.index(request.state) >= ORDER.index(state):
            return request.state
        await asyncio.sleep(0.005)
    raise AssertionError(f"{request_id} did not reach {state}: {await store.get(request_id)}")


@pytest.mark.timeout(420)
async def test_kill_9_at_every_state_resumes_to_the_same_end(
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
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_TOMBSTONE_KEY="kill-test-tombstone-key-0123456789",
        LAWFUL_DATA_DIR=str(tmp_path),
        LAWFUL_ERASURE__RECIPIENTS='["reinsurer-7", "mailing-house"]',
        LAWFUL_ERASURE__PURGE_RECYCLE_BIN="true",
    )
    settings = Settings(kafka=KafkaSettings(bootstrap=kafka_bootstrap, topic_prefix=topic_prefix))
    store = RequestStore(redis_client, redis_prefix)
    sf = emulator.salesforce()
    process = LawfulProcess(["erase", "run"], env, tmp_path / "erase-0.log").start()
    killed_at: dict[str, str] = {}
    requests: dict[str, list[str]] = {}
    try:
        process.wait_ready(60)
        started = time.monotonic()
        for index, target in enumerate(TARGETS):
            person = build_person(sf)
            if target in SLOW:  # every Salesforce call is slow: a wide window for the kill
                emulator.org.faults.latency_s = 0.2
            request_id = await cli_actions.request(settings, person.individual_id, None, "test")
            requests[request_id] = person.personal_values
            await wait_until(store, request_id, target, within=60)
            process.kill()  # SIGKILL: nothing graceful, offsets maybe not committed
            after = await store.get(request_id)
            assert after is not None
            killed_at[target] = after.state
            print(target, after.state, round(time.monotonic() - started, 1))
            emulator.org.reset_faults()
            log = tmp_path / f"erase-{index + 1}.log"
            process = LawfulProcess(["erase", "run"], env, log).start()
            process.wait_ready(60)
            await wait_until(store, request_id, "done", within=60)
        assert await asyncio.to_thread(process.terminate, 30) == 0
    finally:
        emulator.org.reset_faults()
        process.kill()
        sf.session.close()
    # most kills landed between two persisted steps (the last steps make no Salesforce call)
    mid_way = [t for t, seen in killed_at.items() if seen != "done"]
    assert set(mid_way) >= SLOW, killed_at
    org = str({k: list(v.values()) for k, v in emulator.org.store.tables.items()})
    for request_id, values in requests.items():
        done = await store.get(request_id)
        assert done is not None
        assert done.state == "done", (request_id, done.reason)
        assert not [v for v in values if v in org], request_id
    entries = await TombstoneLog(redis_client, redis_prefix, None).entries()
    assert sorted(e["request_id"] for e in entries) == sorted(requests)  # one tombstone each
    notices = await read_values(
        kafka_bootstrap,
        f"{topic_prefix}lawful.erasure-notifications.v1",
        ErasureNotification,
        done=lambda v: len({n.notification_id for n in v}) >= len(TARGETS) * len(RECIPIENTS),
    )
    for request_id in requests:
        sent = [n for n in notices if n.request_id == request_id]
        assert {n.recipient_id for n in sent} == set(RECIPIENTS)
        assert len({n.notification_id for n in sent}) == len(RECIPIENTS)  # keyed: idempotent
    monkeypatch.setenv("LAWFUL_REDIS__URL", redis_url)
    monkeypatch.setenv("LAWFUL_REDIS__KEY_PREFIX", redis_prefix)
    assert await asyncio.to_thread(main, ["tombstones", "verify"]) == 0
    print("killed at (target -> persisted state):", killed_at)
    print(
        "notifications per request:", {r: sum(n.request_id == r for n in notices) for r in requests}
    )
