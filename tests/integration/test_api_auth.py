"""Authentication and roles of `lawful api` on real Redis, with OIDC tokens checked against a
JWKS served by a local aiohttp server: no token -> 401, wrong role -> 403, expired or
foreign-issuer token -> 401; operators may request a backfill (202, recorded in Redis)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis.asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.component.test_projection_builders import cell, snapshot
from workers.api.app import build_app
from workers.api.records import operation_key
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots
from workers.settings import ApiSettings, RedisSettings, Settings

ApiClient = TestClient[web.Request, web.Application]

pytestmark = pytest.mark.integration

ISSUER = "https://issuer.example.test/realms/lawful"
AUDIENCE = "lawful-api"
VIEWER_KEY = "viewer-key-0123456789abcdef"
OPERATOR_KEY = "operator-key-0123456789abcdef"
SIGNING = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FOREIGN = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key: Any = SIGNING, *, kid: str = "k1", alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "officer-7", "iat": now, "exp": now + 300,
            "roles": ["viewer"], **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
async def jwks_url() -> AsyncIterator[str]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING.public_key(), as_dict=True)
    document = {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    async def serve_jwks(_request: web.Request) -> web.Response:
        return web.json_response(document)

    app = web.Application()
    app.router.add_get("/jwks.json", serve_jwks)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/jwks.json"))
    finally:
        await server.close()


@pytest.fixture
async def api(
    jwks_url: str, redis_client: redis.asyncio.Redis, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[ApiClient]:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"vera viewer {VIEWER_KEY}\notto operator {OPERATOR_KEY}\n")
    settings = Settings(
        redis=RedisSettings(key_prefix=redis_prefix),
        api=ApiSettings(
            api_keys_file=keys_file,
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
            oidc_jwks_url=jwks_url,
        ),
    )
    await write_snapshots(
        redis_client, Keys(redis_prefix), [snapshot("IND-1", cell("billing", None))]
    )
    client = TestClient(TestServer(build_app(settings, redis_client), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


PROTECTED = [
    ("GET", "/v1/search"),
    ("GET", "/v1/persons/IND-1"),
    ("GET", "/v1/alerts"),
    ("POST", "/v1/lookup"),
    ("POST", "/v1/operations/backfill"),
]


async def test_nothing_personal_without_credentials(api: ApiClient) -> None:
    for method, path in PROTECTED:
        answer = await api.request(method, path)
        assert answer.status == 401, path
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await api.request(method, path, headers=bearer("not-a-key"))).status == 401
    assert (await api.get("/livez")).status == 200
    assert (await api.get("/")).status == 200


async def test_api_keys_and_roles(
    api: ApiClient, redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    assert (await api.get("/v1/persons/IND-1", headers={"X-API-Key": VIEWER_KEY})).status == 200
    denied = await api.post("/v1/operations/backfill", headers=bearer(VIEWER_KEY))
    assert denied.status == 403
    accepted = await api.post(
        "/v1/operations/backfill", json={"entities": ["Individual"]}, headers=bearer(OPERATOR_KEY)
    )
    assert accepted.status == 202
    operation = await accepted.json()
    stored = await redis_client.hgetall(operation_key(redis_prefix, operation["id"]))
    assert stored[b"requested_by"] == b"otto"
    assert stored[b"scope"] == b"Individual"
    again = await api.get(accepted.headers["Location"], headers=bearer(VIEWER_KEY))
    assert (again.status, (await again.json())["status"]) == (200, "queued")


async def test_oidc_tokens(api: ApiClient) -> None:
    assert (await api.get("/v1/persons/IND-1", headers=bearer(token()))).status == 200
    operator = token(roles=["viewer", "operator"])
    assert (await api.post("/v1/operations/backfill", headers=bearer(operator))).status == 202
    assert (await api.post("/v1/operations/backfill", headers=bearer(token()))).status == 403
    assert (await api.get("/v1/search", headers=bearer(token(roles=[])))).status == 403
    assert (await api.get("/v1/search", headers=bearer(token(roles="auditor")))).status == 403


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"iss": "https://evil.example.test/"}, id="foreign-issuer"),
        pytest.param({"aud": "someone-else"}, id="wrong-audience"),
    ],
)
async def test_invalid_tokens_get_401(api: ApiClient, bad: dict[str, Any]) -> None:
    answer = await api.get("/v1/search", headers=bearer(token(**bad)))
    assert answer.status == 401
    assert "invalid token" in (await answer.json())["error"]["message"]


async def test_forged_tokens_get_401(api: ApiClient) -> None:
    forged = [
        token(FOREIGN),  # right kid, wrong key
        token(FOREIGN, kid="k2"),  # unknown key id
        token("a-shared-secret-of-32-bytes-min!", alg="HS256"),
        token()[:-8] + "AAAAAAAA",
    ]
    for value in forged:
        assert (await api.get("/v1/search", headers=bearer(value))).status == 401
