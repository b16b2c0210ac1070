"""The committed OpenAPI document matches the builder, is served, and names every route;
health, readiness and metrics answer without credentials, and carry no personal data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import fakeredis
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from workers.api.app import OPENAPI, build_app
from workers.api.openapi import build_spec
from workers.settings import RedisSettings, Settings

ApiClient = TestClient[web.Request, web.Application]

pytestmark = pytest.mark.component


def test_committed_openapi_matches_the_builder() -> None:
    committed = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert committed == build_spec(), "run `lawful api --write-openapi workers/api/openapi.json`"
    assert committed["openapi"].startswith("3.1")


@pytest.fixture
async def api() -> AsyncIterator[ApiClient]:
    fake = fakeredis.FakeAsyncRedis()
    ready = {"value": False}
    app = build_app(Settings(redis=RedisSettings(key_prefix="t:")), fake,
                    projection_ready=lambda: ready["value"])  # fmt: skip
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
        ready["value"] = True
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()
        await fake.aclose()


async def test_every_route_is_in_the_spec(api: ApiClient) -> None:
    served = await (await api.get("/openapi.json")).json()
    routes = {
        resource.canonical
        for resource in api.app.router.resources()
        if resource.canonical.startswith("/v1/")
    }
    assert routes == set(served["paths"])


async def test_health_and_metrics_are_public(api: ApiClient) -> None:
    assert (await api.get("/livez")).status == 200
    assert (await api.get("/readyz")).status == 503  # the projection is still catching up
    await api.get("/v1/search")  # 401, counted
    text = await (await api.get("/metrics")).text()
    assert 'lawful_api_requests_total{route="/v1/search",status="401"}' in text
    page = await api.get("/")
    assert page.status == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await api.get("/static/app.js")).status == 200
    missing = await api.get("/nowhere")  # unknown paths reveal nothing without credentials
    assert (missing.status, (await missing.json())["error"]["status"]) == (401, 401)
    assert (await api.get("/static/nothing.js")).status == 404


def test_static_files_ship_inside_the_package() -> None:
    static = Path(OPENAPI).parent / "static"
    assert {p.name for p in static.iterdir()} >= {"index.html", "app.js", "style.css"}
