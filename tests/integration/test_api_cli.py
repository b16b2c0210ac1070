"""`lawful search` and `lawful explain` against a running `lawful api` (URL and key from the
LAWFUL_API__* environment): output, errors and the access log of their reads."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio

from schemas.codes import Reason
from schemas.enums import Channel
from tests.component.test_projection_builders import cell, days, snapshot
from workers.api.records import access_log_key
from workers.api.server import serve
from workers.cli import main
from workers.embedded.redis import free_port
from workers.projection.keys import Keys
from workers.projection.store import write_snapshots
from workers.settings import ApiSettings, RedisSettings, Settings, WebSettings

pytestmark = pytest.mark.integration

KEY = "cli-viewer-key-0123456789abcdef"


@pytest.fixture
async def api_url(
    redis_url: str, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"cli viewer {KEY}\n")
    port = free_port()
    settings = Settings(
        redis=RedisSettings(url=redis_url, key_prefix=redis_prefix),
        web=WebSettings(host="127.0.0.1", port=port),
        api=ApiSettings(api_keys_file=keys_file),
    )
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        withdrawn = cell("pet-insurance", Channel.SMS, permitted=False,
                         reason=Reason.CONSENT_WITHDRAWN)  # fmt: skip
        await write_snapshots(client, Keys(redis_prefix), [
            snapshot("IND-1", cell("pet-insurance", Channel.EMAIL, valid_until=days(4)), withdrawn),
            snapshot("IND-2", cell("car-insurance", Channel.EMAIL, valid_until=days(30))),
        ])  # fmt: skip
    finally:
        await client.aclose()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LAWFUL_API__URL", url)
    monkeypatch.setenv("LAWFUL_API__TOKEN", KEY)
    stop, started = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(settings, stop, project=False, started=started))
    await asyncio.wait_for(started.wait(), 10)
    try:
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(server, 15)


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    """What the command printed (without the server's unconfigured structlog lines)."""
    lines = capsys.readouterr().out.splitlines()
    return "\n".join(line for line in lines if not re.match(r"^\d{4}-\d\d-\d\d .*\[\w+ *\] ", line))


async def run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_search_and_explain_through_the_api(
    api_url: str, capsys: pytest.CaptureFixture[str], redis_url: str, redis_prefix: str
) -> None:
    window = [
        "--expires-from",
        days(0).date().isoformat(),
        "--expires-to",
        days(7).date().isoformat(),
    ]
    assert await run("search", "--purpose", "insurance", "--channel", "EMAIL", *window) == 0
    out = printed(capsys)
    assert out.splitlines()[0] == "1 person(s); showing 1 from 0"
    assert "IND-1\tacme\tDE\tpet-insurance/EMAIL yes CONSENT_ACTIVE until" in out
    assert "IND-2" not in out

    assert await run("explain", "IND-1", "--channel", "SMS") == 0
    out = printed(capsys)
    assert "pet-insurance / SMS: REFUSED" in out
    assert "why: The person withdrew consent. (CONSENT_WITHDRAWN)" in out
    assert "EMAIL" not in out

    assert await run("explain", "IND-404") == 1
    assert "404: no such person" in printed(capsys)
    assert await run("search", "--channel", "PIGEON") == 1
    assert "400: invalid value for 'channel'" in printed(capsys)

    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        reads = await client.xrange(access_log_key(redis_prefix)) or []
    finally:
        await client.aclose()
    assert [(f[b"who"], f[b"action"]) for _, f in reads if f] == [
        (b"cli", b"search"),
        (b"cli", b"read"),
    ]
