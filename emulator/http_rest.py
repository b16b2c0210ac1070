"""aiohttp glue for `/services/data/**`: faults, bearer check, API allowance, error shapes."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import orjson
from aiohttp import web

from emulator.appkeys import ORG, REST_API
from emulator.auth_api import session_for
from emulator.describe_versions import versions_response
from emulator.errors import SalesforceError
from emulator.org import Org
from emulator.rest.context import RestRequest, RestResponse
from emulator.rest.router import RestApi

_VERSION = re.compile(r"^v(\d{2,3}\.0)$")
log = logging.getLogger(__name__)


def _json_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        headers=headers,
        content_type="application/json",
        charset="UTF-8",
    )


def _error(error: SalesforceError, headers: dict[str, str]) -> web.Response:
    return _json_response(error.status, error.body(), headers)


def _to_http(response: RestResponse, headers: dict[str, str]) -> web.Response:
    headers = {**headers, **response.headers}
    if response.content_type == "application/json":
        return _json_response(response.status, response.body, headers)
    return web.Response(
        status=response.status,
        text=str(response.body),
        headers=headers,
        content_type=response.content_type,
        charset="UTF-8",
    )


async def _fault(org: Org) -> web.Response | None:
    if org.faults.latency_s > 0:
        await asyncio.sleep(org.faults.latency_s)
    status = org.faults.take_error()
    if status is None:
        return None
    if org.faults.non_json_errors:
        return web.Response(
            status=status,
            text="<html><body>Service Unavailable</body></html>",
            content_type="text/html",
        )
    error = SalesforceError.of(status, "SERVER_UNAVAILABLE", "Server is unavailable (injected)")
    return _error(error, {})


async def rest_entry(request: web.Request) -> web.Response:
    org: Org = request.app[ORG]
    api: RestApi = request.app[REST_API]
    faulted = await _fault(org)
    if faulted is not None:
        return faulted
    match = _VERSION.match(request.match_info["version"])
    tail = request.match_info.get("tail", "")
    usage = org.api_usage
    if match is None:
        error = SalesforceError.of(404, "NOT_FOUND", "The requested resource does not exist")
        return _error(error, {"Sforce-Limit-Info": usage.header()})
    session = session_for(org, request.headers.get("Authorization"))
    if session is None:
        error = SalesforceError.of(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return _error(error, {"Sforce-Limit-Info": usage.header()})
    if usage.exhausted():
        error = SalesforceError.of(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return _error(error, {"Sforce-Limit-Info": usage.header()})
    used = usage.count()
    headers = {"Sforce-Limit-Info": f"api-usage={used}/{usage.limit}"}
    rest_request = RestRequest(
        org=org,
        session=session,
        method=request.method,
        version=match.group(1),
        parts=[p for p in tail.split("/") if p],
        query=dict(request.query),
        body=await request.read(),
        headers={k.lower(): v for k, v in request.headers.items()},
    )
    try:
        return _to_http(api.dispatch(rest_request), headers)
    except SalesforceError as error:
        return _error(error, headers)
    except Exception:
        log.exception("unexpected error handling %s %s", request.method, request.path)
        unknown = SalesforceError.of(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")
        return _error(unknown, headers)


async def versions_entry(request: web.Request) -> web.Response:
    return versions_response()
