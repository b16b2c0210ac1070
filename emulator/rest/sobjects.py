"""sObject CRUD: create, read, update, delete, upsert by external id, deleted/updated lists."""

from __future__ import annotations

from typing import Any

from emulator.errors import ErrorItem, SalesforceError, malformed_id, not_found
from emulator.ids import normalise
from emulator.rest.context import RestRequest, RestResponse, no_content, ok
from emulator.rest.records import render_record
from emulator.schema.model import ObjectDef
from emulator.transaction import RecordError, UnitOfWork
from emulator.validation import FieldValueError, coerce_datetime, coerce_payload


def object_or_404(request: RestRequest, name: str) -> ObjectDef:
    obj = request.org.schema.get(name)
    if obj is None:
        raise not_found()
    return obj


def record_id_or_error(obj: ObjectDef, value: str) -> str:
    record_id = normalise(value)
    if record_id is None or record_id[:3] != obj.key_prefix:
        raise SalesforceError(
            404,
            [
                ErrorItem(
                    "NOT_FOUND",
                    "Provided external ID field does not exist or is not accessible: " + value,
                )
            ],
        )
    return record_id


def raise_record_error(error: RecordError) -> SalesforceError:
    return SalesforceError(error.status, error.items)


def success(record_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": record_id, "success": True, "errors": [], **extra}


def create_record(request: RestRequest, obj: ObjectDef, payload: dict[str, Any]) -> RestResponse:
    if payload.get("Id"):
        raise SalesforceError.of(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: Id. Please check the security settings of this "
            "field and verify that it is read/write for your profile or permission set.",
            ("Id",),
        )
    values, errors = coerce_payload(obj, payload, creating=True)
    if errors:
        raise SalesforceError(400, errors)
    work = request.unit_of_work()
    try:
        record_id = work.create(obj, values)
    except RecordError as error:
        raise raise_record_error(error) from None
    request.commit(work)
    response = ok(success(record_id), 201)
    response.headers["Location"] = (
        f"/services/data/v{request.version}/sobjects/{obj.name}/{record_id}"
    )
    return response


def _fields_param(request: RestRequest, obj: ObjectDef) -> list[str] | None:
    raw = request.query.get("fields")
    if not raw:
        return None
    names = []
    for name in raw.split(","):
        definition = obj.field(name.strip())
        if definition is None:
            raise SalesforceError.of(
                400,
                "INVALID_FIELD",
                f"No such column '{name.strip()}' on sobject of type {obj.name}",
            )
        names.append(definition.name)
    return names


def get_record(request: RestRequest, obj: ObjectDef, record_id: str) -> RestResponse:
    record = request.read(obj.name, record_id)
    if record is None:
        raise not_found()
    if record.get("IsDeleted"):
        raise SalesforceError.of(404, "ENTITY_IS_DELETED", "entity is deleted")
    return ok(render_record(request.version, obj, record, _fields_param(request, obj)))


def update_record(request: RestRequest, obj: ObjectDef, record_id: str) -> RestResponse:
    values, errors = coerce_payload(obj, request.json_object(), creating=False)
    if errors:
        raise SalesforceError(400, errors)
    work = request.unit_of_work()
    try:
        work.update(obj, record_id, values)
    except RecordError as error:
        raise raise_record_error(error) from None
    request.commit(work)
    return no_content()


def delete_record(request: RestRequest, obj: ObjectDef, record_id: str) -> RestResponse:
    work = request.unit_of_work()
    try:
        work.delete(obj, record_id)
    except RecordError as error:
        raise raise_record_error(error) from None
    request.commit(work)
    return no_content()


def handle_record(request: RestRequest, obj: ObjectDef, raw_id: str) -> RestResponse:
    record_id = normalise(raw_id)
    if record_id is None or record_id[:3] != obj.key_prefix:
        raise malformed_id(obj.label, raw_id) if request.method != "GET" else not_found()
    if request.method == "GET":
        return get_record(request, obj, record_id)
    if request.method == "PATCH":
        return update_record(request, obj, record_id)
    if request.method == "DELETE":
        return delete_record(request, obj, record_id)
    raise method_not_allowed(request.method)


def method_not_allowed(method: str) -> SalesforceError:
    return SalesforceError.of(
        405,
        "METHOD_NOT_ALLOWED",
        f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH,DELETE",
    )


def external_field(obj: ObjectDef, name: str) -> str:
    definition = obj.field(name)
    if definition is None or not (definition.external_id or definition.name == "Id"):
        raise SalesforceError.of(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return definition.name


def matching_ids(work: UnitOfWork, obj: ObjectDef, field_name: str, value: str) -> list[str]:
    if field_name == "Id":
        record_id = normalise(value)
        found = record_id is not None and work.get(obj.name, record_id) is not None
        return [record_id] if found and record_id else []
    definition = obj.fields[field_name]
    if definition.unique:
        holder = work.store.lookup_unique(obj.name, field_name, value)
        return [holder] if holder else []
    needle = value.lower()
    return [
        r["Id"]
        for r in work.store.live(obj.name)
        if r.get(field_name) is not None and str(r[field_name]).lower() == needle
    ]


def upsert_one(
    work: UnitOfWork, obj: ObjectDef, field_name: str, value: str, payload: dict[str, Any]
) -> tuple[str, bool]:
    """Create or update the record whose `field_name` equals `value`; returns (id, created)."""
    ids = [i for i in matching_ids(work, obj, field_name, value) if i]
    live = [i for i in ids if not (work.get(obj.name, i) or {}).get("IsDeleted")]
    if len(live) > 1:
        raise RecordError([ErrorItem("MULTIPLE_RECORDS", "more than one record found")], 300)
    body = {k: v for k, v in payload.items() if k.lower() != field_name.lower()}
    if live:
        values, errors = coerce_payload(obj, body, creating=False)
        if errors:
            raise RecordError(errors)
        work.update(obj, live[0], values)
        return live[0], False
    if field_name == "Id":  # upserting by Id only updates existing records
        raise RecordError([ErrorItem("NOT_FOUND", "The requested resource does not exist")], 404)
    body[field_name] = value
    values, errors = coerce_payload(obj, body, creating=True)
    if errors:
        raise RecordError(errors)
    return work.create(obj, values), True


def upsert_record(
    request: RestRequest, obj: ObjectDef, field_name: str, value: str
) -> RestResponse:
    work = request.unit_of_work()
    try:
        record_id, created = upsert_one(work, obj, field_name, value, request.json_object())
    except RecordError as error:
        if error.status == 300:
            ids = matching_ids(work, obj, field_name, value)
            urls = [f"/services/data/v{request.version}/sobjects/{obj.name}/{i}" for i in ids]
            return RestResponse(300, urls)
        raise raise_record_error(error) from None
    request.commit(work)
    return ok(success(record_id, created=created), 201 if created else 200)


def get_by_external(
    request: RestRequest, obj: ObjectDef, field_name: str, value: str
) -> RestResponse:
    work = request.unit_of_work()
    ids = [
        i
        for i in matching_ids(work, obj, field_name, value)
        if not (work.get(obj.name, i) or {}).get("IsDeleted")
    ]
    if not ids:
        raise not_found()
    if len(ids) > 1:
        return RestResponse(
            300, [f"/services/data/v{request.version}/sobjects/{obj.name}/{i}" for i in ids]
        )
    return get_record(request, obj, ids[0])


def _window(request: RestRequest) -> tuple[str, str]:
    try:
        start = coerce_datetime(request.query["start"])
        end = coerce_datetime(request.query["end"])
    except (KeyError, FieldValueError):
        raise SalesforceError.of(
            400, "INVALID_REPLICATION_DATE", "start and end must be valid dateTime values"
        ) from None
    return start, end


def deleted_list(request: RestRequest, obj: ObjectDef) -> RestResponse:
    start, end = _window(request)
    log = request.org.store.deleted_log.get(obj.name, {})
    items = [{"id": i, "deletedDate": d} for i, d in log.items() if start <= d <= end]
    earliest = min(log.values(), default=start)
    return ok(
        {"deletedRecords": items, "earliestDateAvailable": earliest, "latestDateCovered": end}
    )


def updated_list(request: RestRequest, obj: ObjectDef) -> RestResponse:
    start, end = _window(request)
    ids = [
        r["Id"]
        for r in request.org.store.live(obj.name)
        if start <= r.get("LastModifiedDate", "") <= end
    ]
    return ok({"ids": ids, "latestDateCovered": end})
