"""The component checks behind `lawful check`: Redis, the Kafka broker, Salesforce and the
/readyz page of running lawful processes. Each returns a `CheckResult`; none raises."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass

import aiohttp
from aiokafka import AIOKafkaClient  # type: ignore[import-untyped]

from workers.bridge.kafka import connection_options
from workers.redis_client import redis_client
from workers.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    component: str
    healthy: bool
    detail: str
    seconds: float


async def _timed(component: str, check: Awaitable[str], seconds: float) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            detail = await check
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return CheckResult(component, False, _reason(exc), time.perf_counter() - started)
    return CheckResult(component, True, detail, time.perf_counter() - started)


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def redis_check(settings: Settings, seconds: float) -> str:
    client = redis_client(settings, socket_connect_timeout=seconds, socket_timeout=seconds)
    try:
        info = await client.info("server")
    finally:
        await client.aclose()
    return f"redis {info.get('redis_version', '?')}"


async def kafka_check(settings: Settings, seconds: float) -> str:
    client = AIOKafkaClient(
        **connection_options(settings.kafka), request_timeout_ms=int(seconds * 1000)
    )
    try:
        await client.bootstrap()
        brokers = client.cluster.brokers()
    finally:
        await client.close()
    if not brokers:
        raise ConnectionError("no broker in the cluster metadata")
    return f"{len(brokers)} broker(s)"


async def salesforce_check(settings: Settings, seconds: float) -> str:
    """A token and one SOQL query on Individual (which lawful reads) via the REST adapter."""
    from workers.salesforce.rest import SimpleSalesforceRest  # noqa: PLC0415 - heavy import

    rest = SimpleSalesforceRest.from_settings(settings.salesforce)
    try:
        await rest.query_all("SELECT Id FROM Individual LIMIT 1")
        usage = rest.api_usage
    finally:
        rest.close()
    if usage is None:
        return "REST answers"
    return f"REST answers, API requests {usage.used}/{usage.total} today"


async def ready_check(url: str, seconds: float) -> str:
    """GET <url>/readyz must answer 200 (a lawful process that has finished starting)."""
    target = f"{url.rstrip('/')}/readyz"
    client_timeout = aiohttp.ClientTimeout(total=seconds)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.get(target) as response,
    ):
        if response.status != 200:
            raise ConnectionError(f"{target} answered {response.status}")
    return "ready"


async def run_checks(
    settings: Settings,
    *,
    components: tuple[str, ...],
    urls: tuple[str, ...],
    seconds: float,
) -> list[CheckResult]:
    """All requested checks concurrently, in a stable order."""
    factories = {"redis": redis_check, "kafka": kafka_check, "salesforce": salesforce_check}
    named = [(c, factories[c](settings, seconds)) for c in components]
    named += [(f"process {url}", ready_check(url, seconds)) for url in urls]
    return list(await asyncio.gather(*(_timed(name, check, seconds) for name, check in named)))
