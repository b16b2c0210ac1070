"""`GET /v1/search` and `GET /v1/persons/{id}` on fakeredis: answers, access log, hostile input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import fakeredis
import pytest
import redis.asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas.codes import Reason
from schemas.enums import Channel
from tests.component.test_projection_builders import cell, days, snapshot
from workers.api.app import build_app
from workers.api.records import access_log_key
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots
from workers.settings import ApiSettings, RedisSettings, Settings

ApiClient = TestClient[web.Request, web.Application]

pytestmark = pytest.mark.component

VIEWER = "viewer-key-0123456789abcdef"
OPERATOR = "operator-key-0123456789abcdef"
PREFIX = "t:"


def api_settings(tmp_path: Path) -> Settings:
    keys_file = tmp_path / "api-keys"
    keys_file.write_text(f"# name role key\nvera viewer {VIEWER}\notto operator {OPERATOR}\n")
    return Settings(
        api=ApiSettings(api_keys_file=keys_file),
        redis=RedisSettings(key_prefix=PREFIX),
    )


@pytest.fixture
async def fake() -> AsyncIterator[redis.asyncio.Redis]:
    client = fakeredis.FakeAsyncRedis()
    await write_snapshots(
        client,
        Keys(PREFIX),
        [
            snapshot("IND-1", cell("pet-insurance", Channel.EMAIL, valid_until=days(5))),
            snapshot(
                "IND-2",
                cell(
                    "pet-insurance",
                    Channel.EMAIL,
                    permitted=False,
                    reason=Reason.CONSENT_WITHDRAWN,
                ),
            ),
        ],
    )
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


def auth(key: str = VIEWER) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_search_returns_matching_cells(api: ApiClient) -> None:
    answer = await api.get("/v1/search?purpose=pet-insurance&permitted=true", headers=auth())
    assert answer.status == 200
    body = await answer.json()
    assert body["total"] == 1
    [person] = body["items"]
    assert person["individual_id"] == "IND-1"
    assert person["cells"][0]["reason"]["code"] == "CONSENT_ACTIVE"


async def test_person_explains_each_cell_and_is_access_logged(
    api: ApiClient, fake: redis.asyncio.Redis
) -> None:
    answer = await api.get("/v1/persons/IND-2", headers={"X-API-Key": VIEWER})
    assert answer.status == 200
    [explained] = (await answer.json())["cells"]
    assert explained["reason"] == {
        "code": "CONSENT_WITHDRAWN",
        "text": "The person withdrew consent.",
    }
    assert (explained["rule"], explained["row"]) == ("R5", "consent")
    entries = await fake.xrange(access_log_key(PREFIX))
    assert entries
    fields = entries[-1][1]
    assert fields is not None
    assert fields[b"who"] == b"vera"
    assert fields[b"individual_id"] == b"IND-2"
    assert fields[b"action"] == b"read"
    assert (await api.get("/v1/persons/IND-404", headers=auth())).status == 404


HOSTILE = [
    ("purpose", "x' OR 1=1 --"),
    ("purpose", "*"),
    ("brand", "a" * 5000),
    ("channel", "CARRIER_PIGEON"),
    ("reason", "<script>alert(1)</script>"),
    ("permitted", "maybe"),
    ("expires_from", "2026-13-45"),
    ("expires_to", "2026-11-02T10:00:00"),  # naive: no timezone
    ("expires_from", "9999-01-01"),
    ("limit", "100000"),
    ("limit", "-1"),
    ("cursor", "10.ffffffffffffffff"),
    ("cursor", "../../etc/passwd"),
    ("jurisdiction", "DE\r\nX-Injected: 1"),
    ("unknown", "1"),
]


@pytest.mark.parametrize(("parameter", "value"), HOSTILE)
async def test_hostile_parameters_get_a_4xx_naming_them(
    api: ApiClient, parameter: str, value: str
) -> None:
    answer = await api.get("/v1/search", params={parameter: value}, headers=auth())
    assert answer.status == 400, await answer.text()
    error = (await answer.json())["error"]
    assert error["parameter"] == parameter
    assert value not in error["message"] or len(value) < 3


async def test_repeated_parameter_and_bad_window(api: ApiClient) -> None:
    answer = await api.get("/v1/search?purpose=a&purpose=b", headers=auth())
    assert (answer.status, (await answer.json())["error"]["parameter"]) == (400, "purpose")
    window = "expires_from=2026-12-01&expires_to=2026-11-01"
    answer = await api.get(f"/v1/search?{window}", headers=auth())
    assert answer.status == 400


async def test_bad_person_id_and_body(api: ApiClient) -> None:
    assert (await api.get("/v1/persons/a%20b;DROP", headers=auth())).status == 400
    answer = await api.post("/v1/lookup", data=b"{not json", headers=auth())
    assert answer.status == 400
    answer = await api.post("/v1/lookup", json={"email": "a@b.c", "phone": "1234"}, headers=auth())
    assert answer.status == 400
