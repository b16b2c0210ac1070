"""`/_emulator/...` control endpoints: faults, clock, state, save, seed, undelete."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.appkeys import ORG
from emulator.org import Org
from emulator.transaction import RecordError


def _org(request: web.Request) -> Org:
    org: Org = request.app[ORG]
    return org


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def state(org: Org) -> dict[str, Any]:
    return {
        "instance_url": org.instance_url,
        "api_usage": {"used": org.api_usage.used(), "limit": org.api_usage.limit},
        "faults": org.faults.state(),
        "sessions": len(org.sessions.sessions),
        "token_requests": org.sessions.token_requests,
        "records": {name: len(t) for name, t in org.store.tables.items() if t},
        "clock_offset_s": org.clock.offset_s,
    }


async def get_state(request: web.Request) -> web.Response:
    return web.json_response(state(_org(request)))


async def set_faults(request: web.Request) -> web.Response:
    """Body keys (all optional): latency_ms, error_burst {count, status, non_json},
    revoke_tokens, expire_tokens, exhaust_api, api_limit."""
    org = _org(request)
    body = await _body(request)
    if "latency_ms" in body:
        org.faults.latency_s = float(body["latency_ms"]) / 1000
    burst = body.get("error_burst")
    if isinstance(burst, dict):
        org.faults.error_burst(
            int(burst.get("count", 1)),
            int(burst.get("status", 503)),
            non_json=bool(burst.get("non_json", False)),
        )
    if body.get("revoke_tokens"):
        org.revoke_tokens()
    if body.get("expire_tokens"):
        org.sessions.expire_all()
    if "api_limit" in body:
        org.api_usage.limit = int(body["api_limit"])
    if body.get("exhaust_api"):
        org.exhaust_api()
    return web.json_response(state(org))


async def reset_faults(request: web.Request) -> web.Response:
    org = _org(request)
    org.reset_faults()
    return web.json_response(state(org))


async def advance_clock(request: web.Request) -> web.Response:
    org = _org(request)
    org.clock.advance(float((await _body(request)).get("seconds", 0)))
    return web.json_response(state(org))


async def save_data(request: web.Request) -> web.Response:
    from emulator.persistence import save  # noqa: PLC0415 - only when persistence is used

    org = _org(request)
    path = org.config.data_path
    if path is None:
        raise web.HTTPConflict(text="the emulator was started without a data file")
    save(org, path)
    return web.json_response({"saved": str(path)})


async def seed_data(request: web.Request) -> web.Response:
    from emulator.seed import seed_org  # noqa: PLC0415 - heavy, rarely used

    body = await _body(request)
    report = seed_org(_org(request), int(body.get("persons", 10)), seed=int(body.get("seed", 0)))
    return web.json_response(report)


async def undelete(request: web.Request) -> web.Response:
    org = _org(request)
    body = await _body(request)
    results = []
    for record_id in body.get("ids", []):
        try:
            org.undelete(str(body.get("type", "")), str(record_id))
            results.append({"id": record_id, "success": True})
        except (RecordError, KeyError, ValueError) as error:
            results.append({"id": record_id, "success": False, "error": str(error)})
    return web.json_response(results)


@web.middleware
async def admin_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Bad values in admin bodies answer 400, not 500."""
    try:
        response: web.StreamResponse = await handler(request)
    except (ValueError, TypeError, KeyError) as error:
        if not request.path.startswith("/_emulator/"):
            raise
        raise web.HTTPBadRequest(text=f"bad request: {error}") from None
    return response


def install_admin(app: web.Application) -> None:
    app.router.add_get("/_emulator/state", get_state)
    app.router.add_post("/_emulator/faults", set_faults)
    app.router.add_delete("/_emulator/faults", reset_faults)
    app.router.add_post("/_emulator/clock", advance_clock)
    app.router.add_post("/_emulator/save", save_data)
    app.router.add_post("/_emulator/seed", seed_data)
    app.router.add_post("/_emulator/undelete", undelete)
