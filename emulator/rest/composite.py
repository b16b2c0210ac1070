"""POST composite: up to 25 subrequests with `@{ref.field}` references (best effort allOrNone)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from emulator.errors import SalesforceError
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.transaction import UnitOfWork

if TYPE_CHECKING:
    from emulator.rest.router import RestApi

_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([A-Za-z0-9_.\[\]]+)\}")
_HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same "
        "transaction failed.",
    }
]


def _lookup(results: dict[str, Any], ref: str, path: str) -> str:
    value: Any = results.get(ref)
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            value = None
    if value is None:
        raise SalesforceError.of(400, "INVALID_REFERENCE", f"Invalid reference @{{{ref}.{path}}}")
    return str(value)


def _substitute(text: str, results: dict[str, Any]) -> str:
    return _REFERENCE.sub(lambda m: _lookup(results, m.group(1), m.group(2)), text)


def _subrequest(
    request: RestRequest,
    api: RestApi,
    sub: dict[str, Any],
    results: dict[str, Any],
    work: UnitOfWork | None,
) -> RestResponse:
    url = _substitute(str(sub.get("url", "")), results)
    split = urlsplit(url)
    segments = [s for s in split.path.split("/") if s]
    if segments[:2] != ["services", "data"] or len(segments) < 3:
        raise SalesforceError.of(400, "INVALID_URL", f"Invalid url: {url}")
    body = sub.get("body")
    raw = b"" if body is None else _substitute(orjson.dumps(body).decode(), results).encode()
    inner = RestRequest(
        org=request.org,
        session=request.session,
        method=str(sub.get("method", "GET")).upper(),
        version=segments[2].lstrip("v"),
        parts=segments[3:],
        query=dict(parse_qsl(split.query)),
        body=raw,
        headers={
            **request.headers,
            **{k.lower(): v for k, v in (sub.get("httpHeaders") or {}).items()},
        },
        shared_work=work,
    )
    try:
        return api.dispatch(inner)
    except SalesforceError as error:
        return RestResponse(error.status, error.body())


def composite_handler(request: RestRequest, api: RestApi) -> RestResponse:
    body = request.json_object()
    subrequests = body.get("compositeRequest")
    if not isinstance(subrequests, list) or not subrequests:
        raise SalesforceError.of(400, "INVALID_FIELD", "compositeRequest is required")
    if len(subrequests) > 25:
        raise SalesforceError.of(400, "LIMIT_EXCEEDED", "Too many subrequests: max 25")
    all_or_none = bool(body.get("allOrNone", False))
    work = request.unit_of_work() if all_or_none else None
    results: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    failed = False
    for sub in subrequests:
        ref = str(sub.get("referenceId", "")) if isinstance(sub, dict) else ""
        if failed and all_or_none:
            out.append(_halted(ref))
            continue
        try:
            if not isinstance(sub, dict):
                raise SalesforceError.of(400, "INVALID_FIELD", "a subrequest must be an object")
            response = _subrequest(request, api, sub, results, work)
        except SalesforceError as error:
            response = RestResponse(error.status, error.body())
        results[ref] = response.body
        out.append(
            {
                "body": response.body,
                "httpHeaders": response.headers,
                "httpStatusCode": response.status,
                "referenceId": ref,
            }
        )
        failed = failed or response.status >= 400
    if work is not None:
        if failed:  # one transaction: nothing is kept, successful parts report the halt
            work.rollback()
            out = [r if r["httpStatusCode"] >= 400 else _halted(r["referenceId"]) for r in out]
        else:
            work.commit()
    return ok({"compositeResponse": out})


def _halted(ref: str) -> dict[str, Any]:
    return {"body": _HALTED, "httpHeaders": {}, "httpStatusCode": 400, "referenceId": ref}
