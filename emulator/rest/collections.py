"""sObject Collections: create/update/upsert/delete up to 200 records, retrieve up to 2000."""

from __future__ import annotations

from typing import Any

from emulator.errors import ErrorItem, SalesforceError
from emulator.ids import normalise
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.rest.records import render_record
from emulator.rest.sobjects import external_field, object_or_404, upsert_one
from emulator.schema.model import ObjectDef
from emulator.transaction import RecordError, UnitOfWork
from emulator.validation import coerce_payload

ROLLED_BACK = ErrorItem(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)


def _failure(items: list[ErrorItem]) -> dict[str, Any]:
    return {"success": False, "errors": [i.collection() for i in items]}


def _records(request: RestRequest) -> tuple[list[dict[str, Any]], bool]:
    body = request.json_object()
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SalesforceError.of(400, "INVALID_FIELD", "records must be a list of sObjects")
    _check_cap(request, len(records))
    return records, bool(body.get("allOrNone", False))


def _check_cap(request: RestRequest, count: int) -> None:
    cap = request.org.config.collection_limit
    if count > cap:
        raise SalesforceError.of(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {cap} records into this call",
        )


def _type_of(request: RestRequest, record: dict[str, Any]) -> ObjectDef:
    attrs = record.get("attributes")
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if not name:
        raise RecordError([ErrorItem("INVALID_TYPE", "Must send a concrete entity type.")])
    obj = request.org.schema.get(str(name))
    if obj is None or obj.is_event:
        raise RecordError([ErrorItem("INVALID_TYPE", f"sObject type '{name}' is not supported.")])
    return obj


def _write_one(request: RestRequest, work: UnitOfWork, record: dict[str, Any]) -> dict[str, Any]:
    obj = _type_of(request, record)
    if request.method == "POST":
        if record.get("Id"):
            raise RecordError(
                [ErrorItem("INVALID_FIELD", "cannot specify Id in an insert call", ("Id",))]
            )
        values, errors = coerce_payload(obj, record, creating=True)
        if errors:
            raise RecordError(errors)
        return {"id": work.create(obj, values), "success": True, "errors": []}
    record_id = normalise(record.get("Id"))
    if record_id is None:
        raise RecordError([ErrorItem("MALFORMED_ID", f"malformed id {record.get('Id')}", ("Id",))])
    values, errors = coerce_payload(obj, record, creating=False)
    if errors:
        raise RecordError(errors)
    work.update(obj, record_id, values)
    return {"id": record_id, "success": True, "errors": []}


def _delete_one(request: RestRequest, work: UnitOfWork, raw_id: str) -> dict[str, Any]:
    record_id = normalise(raw_id)
    obj = request.org.schema.by_prefix(record_id[:3]) if record_id else None
    if record_id is None or obj is None:
        raise RecordError([ErrorItem("MALFORMED_ID", f"malformed id {raw_id}")])
    work.delete(obj, record_id)
    return {"id": record_id, "success": True, "errors": []}


def run_batch(
    request: RestRequest, items: list[Any], all_or_none: bool, action: Any
) -> RestResponse:
    """Apply `action(work, item)` to every item in one transaction; honour allOrNone."""
    work = request.unit_of_work()
    results: list[dict[str, Any]] = []
    failed = False
    for item in items:
        try:
            results.append(action(work, item))
        except RecordError as error:
            failed = True
            results.append(_failure(error.items))
    if failed and all_or_none:
        if work is not request.shared_work:
            work.rollback()
        results = [
            r if not r["success"] else {**_failure([ROLLED_BACK]), "id": None} for r in results
        ]
        for result in results:
            result.pop("id", None)
        return ok(results)
    request.commit(work)
    return ok(results)


def collections_handler(request: RestRequest) -> RestResponse:
    parts = request.parts
    if len(parts) == 2:
        if request.method in ("POST", "PATCH"):
            records, all_or_none = _records(request)
            return run_batch(request, records, all_or_none, lambda w, r: _write_one(request, w, r))
        if request.method == "DELETE":
            ids = [i for i in request.query.get("ids", "").split(",") if i]
            _check_cap(request, len(ids))
            all_or_none = request.query.get("allOrNone", "false").lower() == "true"
            return run_batch(request, ids, all_or_none, lambda w, i: _delete_one(request, w, i))
        raise _not_allowed(request.method, "POST,PATCH,DELETE")
    obj = object_or_404(request, parts[2])
    if len(parts) == 3 and request.method in ("GET", "POST"):
        return _retrieve(request, obj)
    if len(parts) == 4 and request.method == "PATCH":
        field_name = external_field(obj, parts[3])
        records, all_or_none = _records(request)

        def upsert(work: UnitOfWork, record: dict[str, Any]) -> dict[str, Any]:
            if _type_of(request, record).name != obj.name:
                raise RecordError([ErrorItem("INVALID_TYPE", "all records must be " + obj.name)])
            key = record.get(field_name)
            if key is None:
                raise RecordError([ErrorItem("MISSING_ARGUMENT", f"{field_name} not specified")])
            record_id, created = upsert_one(work, obj, field_name, str(key), record)
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return run_batch(request, records, all_or_none, upsert)
    raise _not_allowed(request.method, "GET,POST,PATCH")


def _not_allowed(method: str, allowed: str) -> SalesforceError:
    return SalesforceError.of(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}"
    )


def _retrieve(request: RestRequest, obj: ObjectDef) -> RestResponse:
    if request.method == "POST":
        body = request.json_object()
        ids, names = body.get("ids", []), body.get("fields", [])
        if not isinstance(ids, list) or not isinstance(names, list):
            raise SalesforceError.of(400, "JSON_PARSER_ERROR", "ids and fields must be lists")
    else:
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        names = [f for f in request.query.get("fields", "").split(",") if f]
    if len(ids) > 2000:
        raise SalesforceError.of(400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 ids")
    fields = []
    for name in names:
        definition = obj.field(str(name))
        if definition is None:
            raise SalesforceError.of(
                400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'"
            )
        fields.append(definition.name)
    out: list[dict[str, Any] | None] = []
    for raw in ids:
        record_id = normalise(raw)
        record = request.org.store.get(obj.name, record_id) if record_id else None
        live = record is not None and not record.get("IsDeleted")
        out.append(
            render_record(request.version, obj, record, fields or None) if live and record else None
        )
    return ok(out)
