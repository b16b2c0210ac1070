"""`lawful check` against the real services: exit 0 when Redis, Kafka, the emulator's REST API
and the named processes' /readyz are healthy; exit 1 naming the component that is not."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.fixtures.emulator import EmulatorHandle
from tests.integration.lawful_process import lawful_env
from workers.embedded.redis import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
async def processes() -> AsyncIterator[tuple[str, str]]:
    """(URL of a ready process, URL of a process whose /readyz answers 503)."""
    urls = []
    runners = []
    for status in (200, 503):

        async def readyz(_request: web.Request, status: int = status) -> web.Response:
            return web.Response(status=status, text="ready" if status == 200 else "recovering")

        app = web.Application()
        app.router.add_get("/readyz", readyz)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{port}")
    yield urls[0], urls[1]
    for runner in runners:
        await runner.cleanup()


async def check(env: dict[str, str], *args: str) -> tuple[int, list[dict[str, object]]]:
    """Run `lawful check --json` without blocking the loop that serves the fake processes."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        "check",
        "--json",
        "--timeout",
        "5",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, json.loads(stdout)


def _env(emulator: EmulatorHandle, redis_url: str, kafka_bootstrap: str) -> dict[str, str]:
    return lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix="lawful-test:check:",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix="check.",
    )


async def test_all_healthy_exits_0(
    emulator: EmulatorHandle,
    redis_url: str,
    kafka_bootstrap: str,
    processes: tuple[str, str],
) -> None:
    ready, _ = processes
    code, rows = await check(_env(emulator, redis_url, kafka_bootstrap), "--url", ready)
    assert code == 0, rows
    assert [r["component"] for r in rows] == ["redis", "kafka", "salesforce", f"process {ready}"]
    assert all(r["healthy"] for r in rows)


async def test_each_unhealthy_component_is_named_and_exits_1(
    emulator: EmulatorHandle,
    redis_url: str,
    kafka_bootstrap: str,
    processes: tuple[str, str],
) -> None:
    ready, recovering = processes
    env = _env(emulator, redis_url, kafka_bootstrap)
    code, rows = await check(env, "--url", ready, "--url", recovering)
    assert code == 1
    assert {r["component"]: r["healthy"] for r in rows}[f"process {recovering}"] is False

    dead = f"127.0.0.1:{free_port()}"
    for variable, value, component in (
        ("LAWFUL_REDIS__URL", f"redis://{dead}/0", "redis"),
        ("LAWFUL_KAFKA__BOOTSTRAP", f"kafka://{dead}", "kafka"),
    ):
        code, rows = await check({**env, variable: value}, "--skip", "salesforce")
        assert code == 1, rows
        failed = [r["component"] for r in rows if not r["healthy"]]
        assert failed == [component]
