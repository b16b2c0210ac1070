"""Run the API (and, by default, the projector beside it) until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import web

from workers.api.app import build_app
from workers.projection.consumer import Projector
from workers.projection.keys import Keys
from workers.redis_client import redis_client
from workers.settings import Settings

log = structlog.get_logger("lawful.api")


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    project: bool = True,
    rebuild: bool = False,
    started: asyncio.Event | None = None,
) -> None:
    """Serve on settings.web until `stop`; `project` also runs the projector in this process."""
    client = redis_client(settings)
    projector = Projector(
        client,
        Keys(settings.redis.key_prefix),
        settings.kafka,
        alerts_kept=settings.api.alerts_kept,
        lookup_secret=_lookup_secret(settings),
    )
    ready = projector.caught_up.is_set if project else (lambda: True)
    runner = web.AppRunner(build_app(settings, client, projection_ready=ready), access_log=None)
    task: asyncio.Task[None] | None = None
    try:
        if project:
            task = asyncio.create_task(projector.run(stop, rebuild=rebuild), name="projector")
        await runner.setup()
        site = web.TCPSite(runner, settings.web.host, settings.web.port)
        await site.start()
        log.info("api listening", host=settings.web.host, port=settings.web.port)
        if started is not None:
            started.set()
        waiter = asyncio.create_task(stop.wait())
        watched = {waiter} if task is None else {waiter, task}
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        if task in done and task is not None:
            task.result()  # the projector failed: raise its error
        waiter.cancel()
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        await runner.cleanup()
        await client.aclose()


def _lookup_secret(settings: Settings) -> bytes | None:
    """The key of the lookup hashes, as `POST /v1/lookup` uses it (tombstone key if unset)."""
    secret = settings.api.lookup_key or settings.tombstone_key
    return secret.get_secret_value().encode() if secret is not None else None
