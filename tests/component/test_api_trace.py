"""`GET /v1/persons/{id}` adds the engine's rule-by-rule trace when the worker's state is stored
in Redis (and the purpose is in the shared catalogue); without it, the cell explanation alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import fakeredis
import orjson
import pytest
import redis.asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas.aggregate import AggregateState, dump_state
from schemas.enums import Channel
from schemas.state import PersonState
from tests.component.test_api_search import VIEWER, api_settings
from tests.component.test_projection_builders import cell, snapshot
from tests.unit import builders
from workers.api.app import build_app
from workers.api.trace import state_key
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots

ApiClient = TestClient[web.Request, web.Application]

pytestmark = pytest.mark.component

PREFIX = "t:"
PURPOSE = "0ZW000000000001"


@pytest.fixture
async def fake() -> AsyncIterator[redis.asyncio.Redis]:
    client = fakeredis.FakeAsyncRedis()
    fields = {"Name": "Pet insurance", "Lawful_Basis__c": "CONSENT",
              "Lawful_Category__c": "MARKETING"}  # fmt: skip
    await client.hset(f"{PREFIX}catalogue:purposes", PURPOSE, orjson.dumps(fields))
    await client.set(f"{PREFIX}catalogue:version", 1)
    await write_snapshots(
        client,
        Keys(PREFIX),
        [snapshot(i, cell(PURPOSE, Channel.EMAIL), cell("unknown", None)) for i in ("A", "B")],
    )
    state = AggregateState(person=PersonState(person=builders.person(jurisdiction="DE")))
    await client.set(state_key(PREFIX, "A"), dump_state(state))
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def api(fake: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ApiClient]:
    client = TestClient(TestServer(build_app(api_settings(tmp_path), fake)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_trace_from_the_stored_state(api: ApiClient) -> None:
    answer = await api.get("/v1/persons/A", headers={"X-API-Key": VIEWER})
    assert answer.status == 200
    traced, unknown = (await answer.json())["cells"]
    assert unknown["trace"] is None  # not in the catalogue
    checks = traced["trace"]
    assert checks
    assert {"rule", "passed", "reason", "inputs"} <= set(checks[0])
    assert any(not check["passed"] for check in checks)  # an empty state grants no consent


async def test_no_state_no_trace(api: ApiClient) -> None:
    answer = await api.get("/v1/persons/B", headers={"X-API-Key": VIEWER})
    assert [c["trace"] for c in (await answer.json())["cells"]] == [None, None]
