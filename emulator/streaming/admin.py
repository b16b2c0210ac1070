"""Admin routes under /_emulator/streaming/ driving the hub's fault injection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.streaming.faults import HTTP_FAULTS
from emulator.streaming.http import json_response

if TYPE_CHECKING:
    from emulator.streaming.hub import StreamingHub

PREFIX = "/_emulator/streaming"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _bad_requests_as_400(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (KeyError, ValueError, TypeError) as problem:
            return json_response({"error": f"{type(problem).__name__}: {problem}"}, 400)

    return guarded


def add_admin_routes(app: web.Application, hub: StreamingHub) -> None:
    """POST drop-clients, gap, overflow, expire-retention, duplicates, fail-next,
    exhaust-allocation, reset-faults, platform-event; GET stats."""

    async def drop_clients(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return json_response({"dropped": hub.drop_clients(body.get("client_id"))})

    async def gap(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        replay_id = hub.force_gap(
            str(body["entity"]), list(body["record_ids"]), body.get("change_type", "GAP_UPDATE")
        )
        return json_response({"replayId": replay_id})

    async def overflow(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return json_response({"replayId": hub.force_overflow(str(body["entity"]))})

    async def expire_retention(_request: web.Request) -> web.StreamResponse:
        hub.expire_retention()
        return json_response({"ok": True})

    async def duplicates(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        hub.duplicate_deliveries(int(body.get("count", 1)))
        return json_response({"ok": True})

    async def fail_next(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        kind = body.get("kind", "busy")
        if kind not in HTTP_FAULTS:
            return json_response({"error": f"kind must be one of {HTTP_FAULTS}"}, 400)
        hub.fail_next_requests(kind, int(body.get("count", 1)))
        return json_response({"ok": True})

    async def exhaust(_request: web.Request) -> web.StreamResponse:
        hub.exhaust_daily_allocation()
        return json_response({"ok": True})

    async def reset(_request: web.Request) -> web.StreamResponse:
        hub.reset_faults()
        return json_response({"ok": True})

    async def platform_event(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        event_uuid = hub.publish_platform_event(str(body["name"]), dict(body.get("payload", {})))
        return json_response({"EventUuid": event_uuid})

    async def stats(_request: web.Request) -> web.StreamResponse:
        return json_response(hub.stats())

    routes: dict[str, Handler] = {
        "drop-clients": drop_clients,
        "gap": gap,
        "overflow": overflow,
        "expire-retention": expire_retention,
        "duplicates": duplicates,
        "fail-next": fail_next,
        "exhaust-allocation": exhaust,
        "reset-faults": reset,
        "platform-event": platform_event,
    }
    for name, handler in routes.items():
        app.router.add_post(f"{PREFIX}/{name}", _bad_requests_as_400(handler))
    app.router.add_get(f"{PREFIX}/stats", stats)
