"""The /v1 handlers: search, persons, alerts, lookup and operations."""

from __future__ import annotations

from typing import Any

import pydantic
from aiohttp import web

from schemas.enums import Channel, ContactPointKind
from workers.api.context import context, principal
from workers.api.errors import error_response, validation_response
from workers.api.models import (
    AlertsResult,
    IndividualId,
    LookupRequest,
    LookupResult,
    Operation,
    OperationRequest,
    PersonView,
    ReplayRequest,
    SearchResult,
)
from workers.api.records import create_operation, find_contact, operation_key, record_read
from workers.projection.alerts import recent_alerts
from workers.projection.query import SearchQuery
from workers.projection.search import matching_cells, run_search
from workers.projection.store import read_snapshot

routes = web.RouteTableDef()
_ID = pydantic.TypeAdapter(IndividualId)


class PersonFilter(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    purpose: str | None = pydantic.Field(None, max_length=80, pattern=r"^[A-Za-z0-9 _.\-]+$")
    channel: Channel | None = None


class AlertsQuery(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    limit: int = pydantic.Field(50, ge=1, le=500)
    individual_id: IndividualId | None = None


def single_values(request: web.Request) -> dict[str, str]:
    """The query string as a dict; a parameter given twice is an error (HTTPBadRequest)."""
    values: dict[str, str] = {}
    for name in request.query:
        given = request.query.getall(name)
        if len(given) > 1:
            raise _bad(f"'{name[:40]}' given more than once", name[:40])
        values[name] = given[0]
    return values


def _bad(message: str, parameter: str | None = None) -> web.HTTPException:
    answer = error_response(400, message, parameter=parameter)
    return web.HTTPBadRequest(text=answer.text, content_type="application/json")


def _json(model: pydantic.BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json(), status=status, content_type="application/json"
    )


@routes.get("/v1/search")
async def search(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        query = SearchQuery.model_validate(single_values(request))
        query.offset()
    except pydantic.ValidationError as error:
        return validation_response(error)
    except ValueError as error:
        return error_response(400, str(error), parameter="cursor")
    page = await run_search(ctx.client, ctx.keys, query, ttl=ctx.settings.api.search_cache_seconds)
    items = [PersonView.of(p, matching_cells(p, query)) for p in page.persons]
    await _log_reads(request, "search", [p.individual_id for p in page.persons])
    result = SearchResult(
        total=page.total,
        offset=page.offset,
        limit=query.limit,
        next_cursor=page.next_cursor,
        items=items,
    )
    return _json(result)


@routes.get("/v1/persons/{individual_id}")
async def person(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        individual_id = _ID.validate_python(request.match_info["individual_id"])
        wanted = PersonFilter.model_validate(single_values(request))
    except pydantic.ValidationError as error:
        return validation_response(error)
    snapshot = await read_snapshot(ctx.client, ctx.keys, individual_id)
    if snapshot is None:
        return error_response(404, "no such person in the projection")
    cells = [
        c
        for c in snapshot.cells
        if (wanted.purpose is None or c.purpose_id == wanted.purpose)
        and (wanted.channel is None or c.channel == wanted.channel)
    ]
    await _log_reads(request, "read", [individual_id])
    traces = await ctx.explainer.traces(snapshot, cells)
    return _json(PersonView.of(snapshot, cells, traces))


@routes.get("/v1/alerts")
async def alerts(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        query = AlertsQuery.model_validate(single_values(request))
    except pydantic.ValidationError as error:
        return validation_response(error)
    found = await recent_alerts(ctx.client, ctx.keys, query.limit, query.individual_id)
    return _json(AlertsResult(items=found))


@routes.post("/v1/lookup")
async def lookup(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        body = LookupRequest.model_validate(await _body(request))
    except pydantic.ValidationError as error:
        return validation_response(error)
    secret = ctx.settings.api.lookup_key or ctx.settings.tombstone_key
    if secret is None:
        return error_response(503, "lookup is not configured (no lookup or tombstone key)")
    kind = ContactPointKind.EMAIL if body.email is not None else ContactPointKind.PHONE
    value = body.email if body.email is not None else body.phone
    ids = await find_contact(
        ctx.client,
        ctx.prefix,
        key=secret.get_secret_value().encode(),
        kind=kind,
        value=value or "",
        jurisdiction=body.jurisdiction.upper(),
    )
    await _log_reads(request, "lookup", ids)
    return _json(LookupResult(individual_ids=ids))


@routes.post("/v1/operations/backfill")
async def backfill(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        body = OperationRequest.model_validate(await _body(request, empty_ok=True))
    except pydantic.ValidationError as error:
        return validation_response(error)
    created = await create_operation(
        ctx.client, ctx.prefix, principal(request), "backfill", body.entities
    )
    answer = _json(Operation.model_validate(created), status=202)
    answer.headers["Location"] = f"/v1/operations/{created['id']}"
    return answer


@routes.post("/v1/operations/replay")
async def replay(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        body = ReplayRequest.model_validate(await _body(request))
    except pydantic.ValidationError as error:
        return validation_response(error)
    extra = {"channel": body.channel, "replay_id": str(body.replay_id)}
    created = await create_operation(
        ctx.client, ctx.prefix, principal(request), "replay", [], extra=extra
    )
    answer = _json(Operation.model_validate(created), status=202)
    answer.headers["Location"] = f"/v1/operations/{created['id']}"
    return answer


@routes.get("/v1/operations/{operation_id}")
async def operation(request: web.Request) -> web.Response:
    ctx = context(request)
    operation_id = request.match_info["operation_id"]
    if not operation_id.isalnum() or len(operation_id) > 64:
        return error_response(400, "invalid operation id", parameter="operation_id")
    found = await ctx.client.hgetall(operation_key(ctx.prefix, operation_id))
    if not found:
        return error_response(404, "no such operation")
    fields = {_text(k): _text(v) for k, v in found.items()}
    return _json(Operation.model_validate(fields))


async def _body(request: web.Request, *, empty_ok: bool = False) -> Any:
    if empty_ok and not request.can_read_body:
        return {}
    try:
        return await request.json()
    except ValueError:
        raise _bad("the body must be a JSON object", "body") from None


async def _log_reads(request: web.Request, action: str, ids: list[str]) -> None:
    ctx = context(request)
    kept = ctx.settings.api.access_log_kept
    await record_read(ctx.client, ctx.prefix, principal(request), action, ids, kept=kept)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
