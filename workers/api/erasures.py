"""The /v1/erasures handlers: erasure requests and their history (workers/erasure/status.py),
and new requests through the same intake as `lawful erase request`."""

from __future__ import annotations

from typing import get_args

import pydantic
from aiohttp import web

from workers.api.context import context, principal
from workers.api.errors import error_response, validation_response
from workers.api.models import ErasureAccepted, ErasureCreate, ErasureList, ErasureView
from workers.api.records import record_read
from workers.api.routes import single_values
from workers.erasure.status import get_request, list_requests
from workers.erasure.store import State
from workers.erasure.suppression import new_request_id

routes = web.RouteTableDef()
STATES: tuple[str, ...] = get_args(State)
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:+\-]+$"  # ids from Salesforce: `ShouldForget:<id>:<instant>`
_REQUEST_ID = pydantic.TypeAdapter(
    pydantic.constr(min_length=1, max_length=200, pattern=REQUEST_ID_PATTERN)
)


class ErasureQuery(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    state: State | None = None
    limit: int = pydantic.Field(50, ge=1, le=500)
    offset: int = pydantic.Field(0, ge=0, le=100_000)


async def _log_reads(request: web.Request, action: str, ids: list[str]) -> None:
    ctx = context(request)
    kept = ctx.settings.api.access_log_kept
    await record_read(ctx.client, ctx.prefix, principal(request), action, ids, kept=kept)


def _json(model: pydantic.BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json(), status=status, content_type="application/json"
    )


@routes.get("/v1/erasures")
async def erasures(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        query = ErasureQuery.model_validate(single_values(request))
    except pydantic.ValidationError as error:
        if error.errors()[0]["loc"][:1] == ("state",):
            allowed = ", ".join(STATES)
            return error_response(
                400, f"invalid value for 'state': expected one of {allowed}", parameter="state"
            )
        return validation_response(error)
    found = await list_requests(
        ctx.client, ctx.prefix, state=query.state, limit=query.limit, offset=query.offset
    )
    items = [ErasureView.model_validate(s) for s in found]
    await _log_reads(request, "erasure-list", sorted({i.individual_id for i in items}))
    return _json(ErasureList(offset=query.offset, limit=query.limit, items=items))


@routes.get("/v1/erasures/{request_id}")
async def erasure(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        request_id = _REQUEST_ID.validate_python(request.match_info["request_id"])
    except pydantic.ValidationError:
        return error_response(400, "invalid request id", parameter="request_id")
    found = await get_request(ctx.client, request_id, ctx.prefix)
    if found is None:
        return error_response(404, "no such erasure request")
    view = ErasureView.model_validate(found)
    await _log_reads(request, "erasure-read", [view.individual_id])
    return _json(view)


@routes.post("/v1/erasures")
async def create_erasure(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        body = ErasureCreate.model_validate(await request.json())
    except pydantic.ValidationError as error:
        return validation_response(error)
    except ValueError:
        return error_response(400, "the body must be a JSON object", parameter="body")
    rid = body.request_id or new_request_id()
    if await get_request(ctx.client, rid, ctx.prefix) is not None:
        return error_response(409, "an erasure request with this id exists", parameter="request_id")
    await ctx.erasure_intake(body.individual_id, rid, principal(request).subject)
    answer = _json(
        ErasureAccepted(request_id=rid, individual_id=body.individual_id, status="submitted"),
        status=202,
    )
    answer.headers["Location"] = f"/v1/erasures/{rid}"
    return answer
