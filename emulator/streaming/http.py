"""aiohttp routes: POST /cometd/{version} (long-polling only)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import orjson
from aiohttp import web

from emulator.streaming import errors
from emulator.streaming.bayeux import BayeuxServer, RequestContext
from emulator.streaming.errors import Message, failure
from emulator.streaming.faults import StreamingFaults

BROWSER_COOKIE = "BAYEUX_BROWSER"
_MIN_VERSION = 37.0


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(body, default=str), status=status, content_type="application/json"
    )


def _host_is_ip(request: web.Request) -> bool:
    try:
        ipaddress.ip_address(request.url.host or "")
    except ValueError:
        return False
    return True


def _version_error(version: str) -> str | None:
    if not version:
        return errors.VERSION_MANDATORY
    try:
        number = float(version)
    except ValueError:
        return errors.VERSION_UNSUPPORTED
    return errors.VERSION_UNSUPPORTED if number < _MIN_VERSION else None


def _parse(body: bytes) -> list[Message] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        return None
    return parsed


def _busy_replies(messages: list[Message]) -> list[Message]:
    """Salesforce's overload reply: an auth error carrying the 503 reason (§2.6)."""
    return [
        failure(
            message,
            errors.AUTH_INVALID,
            ext={"sfdc": {"failureReason": errors.SERVER_BUSY}},
            advice={"reconnect": "none", "interval": 0},
            **({"clientId": message["clientId"]} if "clientId" in message else {}),
        )
        for message in messages
    ]


class CometdEndpoint:
    """Turns HTTP requests into Bayeux batches and injects HTTP-level faults."""

    def __init__(self, server: BayeuxServer, faults: StreamingFaults, max_bytes: int) -> None:
        self.server = server
        self.faults = faults
        self.max_bytes = max_bytes

    def add_routes(self, app: web.Application) -> None:
        for path in ("/cometd", "/cometd/", "/cometd/{version}", "/cometd/{version}/"):
            app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if len(body) > self.max_bytes:
            return json_response([{"error": errors.REQUEST_TOO_LARGE, "successful": False}], 413)
        messages = _parse(body)
        if messages is None:
            return json_response([{"error": "400::Invalid JSON payload", "successful": False}])
        fault = self.faults.take_http_fault()
        if fault == "http503":
            return web.Response(
                status=503,
                text="<html><body>Service Unavailable</body></html>",
                content_type="text/html",
            )
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=503)
        if fault == "busy":
            return json_response(_busy_replies(messages))
        version_problem = _version_error(request.match_info.get("version", ""))
        if version_problem is not None:
            return json_response([failure(message, version_problem) for message in messages])
        context = RequestContext(
            authorization=request.headers.get("Authorization"),
            browser_cookie=request.cookies.get(BROWSER_COOKIE),
            host_is_ip=_host_is_ip(request),
        )
        result = await self.server.handle(messages, context)
        response = json_response(result.replies)
        if result.set_browser_cookie is not None:
            response.set_cookie(BROWSER_COOKIE, result.set_browser_cookie, path="/", httponly=True)
        return response
