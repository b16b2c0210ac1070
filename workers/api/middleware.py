"""Errors as JSON (never a traceback), metrics, one log line per request, authentication."""

from __future__ import annotations

import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from workers.api.auth import Role, Unauthenticated
from workers.api.context import PRINCIPAL, context
from workers.api.errors import error_response
from workers.projection import metrics

log = structlog.get_logger("lawful.api")

PUBLIC = frozenset({"/", "/livez", "/readyz", "/metrics", "/openapi.json"})


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def required_role(request: web.Request) -> Role | None:
    """None for public paths; operators for every state-changing operation."""
    path = request.path
    if path in PUBLIC or path.startswith("/static/"):
        return None
    if path.startswith(("/v1/operations", "/v1/erasures")) and request.method != "GET":
        return Role.OPERATOR
    return Role.VIEWER


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    route = _route(request)
    try:
        response = await handler(request)
    except web.HTTPException as http:
        response = _from_http_exception(http)
    except Exception as error:  # noqa: BLE001 - any failure is a JSON 500, logged without data
        log.error("request failed", route=route, error_type=type(error).__name__)  # noqa: TRY400 - a traceback may quote personal values
        response = error_response(500, "internal error")
    metrics.REQUESTS.labels(route, str(response.status)).inc()
    metrics.LATENCY.labels(route).observe(time.perf_counter() - started)
    log.info("request", method=request.method, route=route, status=response.status)
    return response


def _from_http_exception(http: web.HTTPException) -> web.Response:
    """Our JSON errors pass through; aiohttp's own (404, 405, 413...) become JSON errors."""
    if http.content_type == "application/json" and http.text:
        return web.Response(text=http.text, status=http.status, content_type="application/json")
    kept = {k: v for k, v in http.headers.items() if k.lower() in ("allow", "location")}
    return error_response(http.status, http.reason, headers=kept)


def credential(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key") or None


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    needed = required_role(request)
    if needed is None:
        return await handler(request)
    try:
        who = await context(request).authenticator.authenticate(credential(request))
    except Unauthenticated as error:
        return error_response(
            401, str(error), headers={"WWW-Authenticate": 'Bearer realm="lawful"'}
        )
    if who.role is None or who.role < needed:
        return error_response(403, f"requires the {needed.name.lower()} role")
    request[PRINCIPAL] = who
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
