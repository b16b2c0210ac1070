"""`/v1/erasures` on fakeredis: list (state filter, pagination), one request with its history,
access log, roles, hostile parameters, and POST through the intake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fakeredis
import pytest
import redis.asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from workers.api.app import build_app
from workers.api.records import access_log_key
from workers.erasure.store import ErasureRequest, RequestStore
from workers.settings import ApiSettings, RedisSettings, Settings

ApiClient = TestClient[web.Request, web.Application]

pytestmark = pytest.mark.component

VIEWER = "viewer-key-0123456789abcdef"
OPERATOR = "operator-key-0123456789abcdef"
PREFIX = "t:"
T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def request(number: int, *states: str) -> ErasureRequest:
    made = ErasureRequest(
        request_id=f"er-{number}",
        individual_id=f"0PK00000000000{number}",
        received_at=T0 + timedelta(hours=number),
    )
    for state in states:
        made = made.moved(state, "ApiBudgetExhaustedError: budget" if state == "blocked" else None)  # type: ignore[arg-type]
    return made


@pytest.fixture
async def fake() -> AsyncIterator[redis.asyncio.Redis]:
    client = fakeredis.FakeAsyncRedis()
    store = RequestStore(client, PREFIX)
    await store.put(request(1, "planned", "masking", "deleting", "purging", "notifying",
                            "tombstoned", "done"))  # fmt: skip
    await store.put(request(2, "planned", "blocked"))
    await store.put(request(3, "planned", "masking", "deleting", "purging", "notifying",
                            "tombstoned", "done"))  # fmt: skip
    await store.put(request(4))
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def submitted() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
async def api(
    fake: redis.asyncio.Redis, tmp_path: Path, submitted: list[tuple[str, str, str]]
) -> AsyncIterator[ApiClient]:
    keys_file = tmp_path / "api-keys"
    keys_file.write_text(f"vera viewer {VIEWER}\notto operator {OPERATOR}\n")
    settings = Settings(api=ApiSettings(api_keys_file=keys_file),
                        redis=RedisSettings(key_prefix=PREFIX))  # fmt: skip

    async def intake(individual_id: str, request_id: str, who: str) -> None:
        submitted.append((individual_id, request_id, who))

    client = TestClient(TestServer(build_app(settings, fake, erasure_intake=intake)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def auth(key: str = VIEWER) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_list_is_newest_first_filtered_and_paged(api: ApiClient) -> None:
    answer = await api.get("/v1/erasures", headers=auth())
    assert answer.status == 200
    body = await answer.json()
    assert [i["request_id"] for i in body["items"]] == ["er-4", "er-3", "er-2", "er-1"]
    assert [i["state"] for i in body["items"]] == ["received", "done", "blocked", "done"]
    done = await (await api.get("/v1/erasures?state=done&limit=1&offset=1", headers=auth())).json()
    assert [i["request_id"] for i in done["items"]] == ["er-1"]
    assert (done["limit"], done["offset"]) == (1, 1)
    page = await (await api.get("/v1/erasures?limit=2&offset=1", headers=auth())).json()
    assert [i["request_id"] for i in page["items"]] == ["er-3", "er-2"]


async def test_one_request_with_history_and_access_log(
    api: ApiClient, fake: redis.asyncio.Redis
) -> None:
    answer = await api.get("/v1/erasures/er-2", headers=auth())
    assert answer.status == 200
    body = await answer.json()
    assert body["state"] == "blocked"
    assert body["reason"] == "ApiBudgetExhaustedError: budget"
    assert [h["state"] for h in body["history"]] == ["planned", "blocked"]
    assert body["individual_id"] == "0PK000000000002"
    entries = await fake.xrange(access_log_key(PREFIX)) or []
    last = entries[-1][1]
    assert last is not None
    assert (last[b"who"], last[b"individual_id"], last[b"action"]) == (
        b"vera",
        b"0PK000000000002",
        b"erasure-read",
    )
    missing = await api.get("/v1/erasures/er-404", headers=auth())
    assert missing.status == 404
    assert (await missing.json())["error"]["message"] == "no such erasure request"


async def test_list_reads_are_access_logged(api: ApiClient, fake: redis.asyncio.Redis) -> None:
    await api.get("/v1/erasures?state=done", headers=auth())
    entries = await fake.xrange(access_log_key(PREFIX)) or []
    logged = {(f[b"individual_id"], f[b"action"]) for _, f in entries if f}
    assert logged == {(b"0PK000000000001", b"erasure-list"), (b"0PK000000000003", b"erasure-list")}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("state=gone", "state"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1e9", "offset"),
        ("unknown=1", "unknown"),
        ("limit=1&limit=2", "limit"),
    ],
)
async def test_bad_parameters_are_4xx_naming_them(
    api: ApiClient, query: str, parameter: str
) -> None:
    answer = await api.get(f"/v1/erasures?{query}", headers=auth())
    assert answer.status == 400, await answer.text()
    error = (await answer.json())["error"]
    assert error["parameter"] == parameter
    assert error["message"]


async def test_bad_request_id_is_400(api: ApiClient) -> None:
    for bad in ("x" * 201, "a%20b", "a'b"):
        answer = await api.get("/v1/erasures/" + bad, headers=auth())
        assert answer.status == 400, bad
        assert (await answer.json())["error"]["parameter"] == "request_id"
    salesforce_id = "ShouldForget:0PK000000000001:2026-11-29T19:05:00.123+00:00"
    assert (await api.get(f"/v1/erasures/{salesforce_id}", headers=auth())).status == 404


async def test_reads_need_a_token(api: ApiClient) -> None:
    assert (await api.get("/v1/erasures")).status == 401
    assert (await api.get("/v1/erasures/er-1")).status == 401


async def test_only_operators_create_requests(
    api: ApiClient, submitted: list[tuple[str, str, str]]
) -> None:
    body = {"individual_id": "0PK000000000009"}
    assert (await api.post("/v1/erasures", json=body)).status == 401
    assert (await api.post("/v1/erasures", json=body, headers=auth())).status == 403
    assert submitted == []
    answer = await api.post("/v1/erasures", json=body, headers=auth(OPERATOR))
    assert answer.status == 202, await answer.text()
    created = await answer.json()
    assert created["status"] == "submitted"
    assert created["request_id"].startswith("er-")
    assert answer.headers["Location"] == f"/v1/erasures/{created['request_id']}"
    assert submitted == [("0PK000000000009", created["request_id"], "otto")]
    named = {"individual_id": "0PK000000000009", "request_id": "er-mine"}
    assert (await api.post("/v1/erasures", json=named, headers=auth(OPERATOR))).status == 202
    taken = {"individual_id": "0PK000000000009", "request_id": "er-1"}
    assert (await api.post("/v1/erasures", json=taken, headers=auth(OPERATOR))).status == 409
    bad: object
    for bad in ({"individual_id": "x' OR 1=1"}, {"individual_id": "a", "extra": 1}, {}, []):
        answer = await api.post("/v1/erasures", json=bad, headers=auth(OPERATOR))
        assert answer.status == 400, (bad, await answer.text())
    not_json = await api.post("/v1/erasures", data=b"{", headers=auth(OPERATOR))
    assert not_json.status == 400
    assert len(submitted) == 2
