"""The worker's person states through the projector, on real Tansu, Redis and a `lawful worker`
process: `GET /v1/persons/{id}` carries the engine's per-cell trace, `POST /v1/lookup` finds the
person by email and no longer by an email they changed, and both come back after the projection,
states and lookup index are lost and rebuilt from Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import redis
import redis.asyncio
from pydantic import SecretStr

from schemas.aggregate import load_state
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, produce
from tests.integration.lawful_process import LawfulProcess, lawful_env
from tests.integration.test_pipeline_support import Catalogue, individual_id
from tests.integration.test_pipeline_worker import worker_test_env
from tests.unit.test_pipeline_support import cdc, consent_fields, individual_fields
from workers.api.server import serve
from workers.embedded.redis import free_port
from workers.projection.keys import Keys
from workers.settings import ApiSettings, KafkaSettings, RedisSettings, Settings, WebSettings

pytestmark = pytest.mark.integration

API_KEY = "states-test-viewer-key-0123456789"
LOOKUP_KEY = "states-test-lookup-secret-0123456789"
T = TypeVar("T")


@dataclass(frozen=True)
class World:
    worker: LawfulProcess
    topic_prefix: str
    redis_prefix: str
    redis_url: str
    bootstrap: str
    catalogue: Catalogue


@pytest.fixture(scope="module")
def world(
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    topic_prefix = f"s{uuid.uuid4().hex[:10]}."
    redis_prefix = f"lawful-test:{uuid.uuid4().hex}:"
    asyncio.run(create_lawful_topics(kafka_bootstrap, topic_prefix, partitions=4))
    catalogue = Catalogue.create(emulator)
    log_dir = tmp_path_factory.mktemp("states-worker")
    env = lawful_env(emulator, redis_url=redis_url, redis_prefix=redis_prefix,
                     kafka_bootstrap=kafka_bootstrap, topic_prefix=topic_prefix,
                     **worker_test_env(log_dir))  # fmt: skip
    worker = LawfulProcess(["worker", "--tansu-compat"], env, log_dir / "worker.log").start()
    try:
        worker.wait_ready(60)
        yield World(worker, topic_prefix, redis_prefix, redis_url, kafka_bootstrap, catalogue)
        assert worker.terminate(60) == 0, worker.log()
    finally:
        worker.kill()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{redis_prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, within: float = 60) -> T:
    """The first truthy answer of `probe`, polled until `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await probe()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.25)


class Api:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def traced_cells(self, person: str, purpose_id: str) -> list[dict[str, Any]] | None:
        """The person's cells of `purpose_id`, once every one of them carries a trace."""
        async with self.http.get(f"/v1/persons/{person}") as answer:
            if answer.status != 200:
                return None
            cells = [c for c in (await answer.json())["cells"] if c["purpose_id"] == purpose_id]
        return cells if cells and all(c["trace"] for c in cells) else None

    async def lookup(self, email: str) -> list[str]:
        async with self.http.post("/v1/lookup", json={"email": email}) as answer:
            assert answer.status == 200, await answer.text()
            ids: list[str] = (await answer.json())["individual_ids"]
            return ids


async def test_trace_and_lookup_follow_the_worker_states(world: World, tmp_path: Path) -> None:
    person, purpose = individual_id("st"), world.catalogue.purpose_id
    point, consent = f"9PE{uuid.uuid4().hex[:12]}AAA", f"0ZY{uuid.uuid4().hex[:12]}AAA"
    old_email = f"first.{uuid.uuid4().hex[:8]}@example.org"
    new_email = f"second.{uuid.uuid4().hex[:8]}@example.org"
    now = datetime.now(UTC)
    await produce(world.bootstrap, f"{world.topic_prefix}lawful.sf-cdc.v1", [
        cdc("Individual", "CREATE", person, individual_fields("UK"), at=now),
        cdc("ContactPointEmail", "CREATE", point,
            {"ParentId": person, "EmailAddress": old_email}, at=now),
        cdc("ContactPointTypeConsent", "CREATE", consent,
            consent_fields(purpose, party=person, captured=now), at=now),
    ])  # fmt: skip

    keys_file = tmp_path / "keys"
    keys_file.write_text(f"vera viewer {API_KEY}\n")
    port = free_port()
    settings = Settings(
        redis=RedisSettings(url=world.redis_url, key_prefix=world.redis_prefix),
        kafka=KafkaSettings(bootstrap=f"kafka://{world.bootstrap}",
                            topic_prefix=world.topic_prefix, partitions=4),
        web=WebSettings(host="127.0.0.1", port=port),
        api=ApiSettings(api_keys_file=keys_file, lookup_key=SecretStr(LOOKUP_KEY)),
    )  # fmt: skip
    stop, started = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(settings, stop, started=started))
    await asyncio.wait_for(started.wait(), 30)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    client = redis.asyncio.Redis.from_url(world.redis_url)
    keys = Keys(world.redis_prefix)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as http:
            api = Api(http)
            cells = await eventually(lambda: api.traced_cells(person, purpose), "traced cells")
            email = next(c for c in cells if c["channel"] == "EMAIL")
            assert email["permitted"] is True
            steps = email["trace"]  # the engine's checks, re-run from the stored state
            assert all({"rule", "passed", "reason", "inputs"} <= set(step) for step in steps)
            assert all(step["passed"] for step in steps)  # a permitted cell failed no rule
            assert await eventually(lambda: api.lookup(old_email.upper()), "lookup") == [person]

            await produce(world.bootstrap, f"{world.topic_prefix}lawful.sf-cdc.v1", [
                cdc("ContactPointEmail", "UPDATE", point, {"EmailAddress": new_email},
                    at=now + timedelta(seconds=5)),
            ])  # fmt: skip
            assert await eventually(lambda: api.lookup(new_email), "new email") == [person]
            assert await api.lookup(old_email) == []

            derived = [k for pattern in keys.derived_patterns
                       async for k in client.scan_iter(match=pattern, count=1000)]  # fmt: skip
            assert await client.exists(keys.state(person))
            await client.delete(*derived)  # the projection, states and lookup index are lost
            await eventually(lambda: api.traced_cells(person, purpose), "trace after rebuild")
            assert await eventually(lambda: api.lookup(new_email), "rebuilt lookup") == [person]
            assert await api.lookup(old_email) == []
            stored = await client.get(keys.state(person))
            assert isinstance(stored, bytes)
            state = load_state(stored)
            assert state.person.person is not None
            assert [p.value for p in state.person.person.contact_points] == [new_email]
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
        await client.aclose()
