"""The aiohttp application of `lawful api`: routes, middlewares, web page, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import orjson
import redis.asyncio
import redis.exceptions
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workers.api import erasures
from workers.api.auth import Authenticator
from workers.api.context import CONTEXT, ApiContext, ErasureIntake, context
from workers.api.middleware import authenticate, errors, security_headers
from workers.api.routes import routes
from workers.api.trace import Explainer
from workers.erasure import cli_actions
from workers.pipeline.purposes import load_rules
from workers.projection import metrics
from workers.projection.keys import Keys
from workers.settings import Settings

STATIC = Path(__file__).parent / "static"
OPENAPI = Path(__file__).parent / "openapi.json"
MAX_BODY = 64 * 1024


async def livez(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        await ctx.client.ping()
    except (redis.exceptions.RedisError, OSError):
        return web.json_response({"status": "redis unavailable"}, status=503)
    if not ctx.projection_ready():
        return web.json_response({"status": "projection catching up"}, status=503)
    return web.json_response({"status": "ready"})


async def metrics_page(_request: web.Request) -> web.Response:
    answer = web.Response(body=generate_latest(metrics.REGISTRY))
    answer.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return answer


async def openapi(_request: web.Request) -> web.Response:
    return web.Response(body=OPENAPI.read_bytes(), content_type="application/json")


async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def build_app(
    settings: Settings,
    client: redis.asyncio.Redis,
    *,
    projection_ready: Callable[[], bool] = lambda: True,
    erasure_intake: ErasureIntake | None = None,
) -> web.Application:
    """The API on `client`; the caller owns (and closes) the Redis client. `erasure_intake`
    submits erasure requests (default: an ERASURE_REQUESTED on Kafka, like `lawful erase
    request`)."""
    app = web.Application(
        middlewares=[errors, security_headers, authenticate], client_max_size=MAX_BODY
    )

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(
            json_serialize=lambda o: orjson.dumps(o).decode()
        ) as session:
            app[CONTEXT] = ApiContext(
                settings=settings,
                client=client,
                keys=Keys(settings.redis.key_prefix),
                authenticator=Authenticator(settings.api, session),
                explainer=Explainer(
                    client, settings.redis.key_prefix, load_rules(settings.engine_config_file)
                ),
                projection_ready=projection_ready,
                erasure_intake=erasure_intake or kafka_intake(settings),
            )
            yield

    app.cleanup_ctx.append(http_session)
    app.router.add_get("/", index)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_static("/static/", STATIC)
    app.add_routes(routes)
    app.add_routes(erasures.routes)
    return app


def kafka_intake(settings: Settings) -> ErasureIntake:
    """Erasure requests from the API go through `lawful erase request`'s intake (Kafka)."""

    async def submit(individual_id: str, request_id: str, who: str) -> object:
        return await cli_actions.request(settings, individual_id, request_id, who, via="api")

    return submit
