"""`lawful api` as it runs (serve(), JSON logging as configured by the command): lookups by email
and phone find the person through keyed hashes, reads are access-logged, and no personal value
(email, phone, name of the test person) appears in any log line."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
import pytest
import redis.asyncio
import structlog
from pydantic import SecretStr

from schemas.enums import ContactPointKind
from tests.component.test_projection_builders import cell, snapshot
from workers.api.records import index_contact
from workers.api.server import serve
from workers.embedded.redis import free_port
from workers.pipeline.logs import configure_logging
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots
from workers.settings import ApiSettings, RedisSettings, Settings, WebSettings

pytestmark = pytest.mark.integration

KEY = "log-test-viewer-key-0123456789"
LOOKUP_KEY = "lookup-secret-for-tests-0123456789"
NAME = "Annegret Schwarzkopf"
EMAIL = "Annegret.Schwarzkopf@example.org"
PHONE = "0170 9876543"
PERSONAL = [NAME, "Schwarzkopf", EMAIL.lower(), "annegret.schwarzkopf", "9876543", "+491709876543"]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line of the process, formatted as `lawful api` formats them (JSON)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    configure_logging("debug")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.handlers = [handler]
    try:
        yield buffer
    finally:
        root.handlers, root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)
        logging.captureWarnings(capture=False)


async def test_no_personal_value_in_any_log_line(
    captured: io.StringIO, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"lena viewer {KEY}\n")
    port = free_port()
    settings = Settings(
        redis=RedisSettings(url=redis_url, key_prefix=redis_prefix),
        web=WebSettings(host="127.0.0.1", port=port),
        api=ApiSettings(api_keys_file=keys_file, lookup_key=SecretStr(LOOKUP_KEY)),
    )
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await write_snapshots(
            client, Keys(redis_prefix), [snapshot("IND-42", cell("billing", None))]
        )
        secret = LOOKUP_KEY.encode()
        for kind, value in ((ContactPointKind.EMAIL, EMAIL), (ContactPointKind.PHONE, PHONE)):
            await index_contact(client, redis_prefix, key=secret, kind=kind, value=value,
                                jurisdiction="DE", individual_id="IND-42")  # fmt: skip
    finally:
        await client.aclose()

    stop, started = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(settings, stop, project=False, started=started))
    await asyncio.wait_for(started.wait(), 10)
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as http:
            for body in ({"email": EMAIL.upper()}, {"phone": PHONE, "jurisdiction": "DE"}):
                async with http.post("/v1/lookup", json=body) as answer:
                    assert answer.status == 200
                    assert (await answer.json())["individual_ids"] == ["IND-42"]
            async with http.post("/v1/lookup", json={"email": NAME * 40}) as answer:
                assert answer.status == 400
                assert NAME not in await answer.text()
            async with http.post("/v1/lookup", json={"email": EMAIL, "name": NAME}) as answer:
                assert answer.status == 400
            async with http.get("/v1/persons/IND-42", params={"channel": "EMAIL"}) as answer:
                assert answer.status == 200
            async with http.get("/v1/search", params={"brand": "acme"}) as answer:
                assert answer.status == 200
    finally:
        stop.set()
        await asyncio.wait_for(server, 15)

    lines = captured.getvalue().splitlines()
    records = [orjson.loads(line) for line in lines]
    reads = [r for r in records if r.get("event") == "person read"]
    assert {(r["who"], r["individual_id"], r["action"]) for r in reads} == {
        ("lena", "IND-42", "lookup"),
        ("lena", "IND-42", "read"),
        ("lena", "IND-42", "search"),
    }
    assert any(r.get("event") == "request" and r.get("status") == 400 for r in records)
    for line in lines:
        for value in PERSONAL:
            assert value.lower() not in line.lower(), f"personal value in a log line: {line}"
