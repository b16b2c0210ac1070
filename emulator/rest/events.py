"""Platform-event publishing: POST sobjects/<Name>__e -> validate, hand to the EventPublisher."""

from __future__ import annotations

from typing import Any

from emulator.errors import ErrorItem, SalesforceError
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.schema.model import ObjectDef
from emulator.validation import FieldValueError, coerce_value, missing_required


def publish_event(request: RestRequest, obj: ObjectDef, payload: dict[str, Any]) -> RestResponse:
    """Returns 201 with the OPERATION_ENQUEUED pseudo-error carrying the EventUuid."""
    values: dict[str, Any] = {}
    errors: list[ErrorItem] = []
    for key, raw in payload.items():
        if key == "attributes":
            continue
        definition = obj.field(key)
        if definition is None or not definition.createable:
            errors.append(
                ErrorItem(
                    "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}", (key,)
                )
            )
            continue
        try:
            value = coerce_value(definition, raw)
        except FieldValueError as problem:
            errors.append(problem.item)
            continue
        if value is not None:
            values[definition.name] = _event_value(definition.type, value)
    required = missing_required(obj, values)
    if required is not None:
        errors.append(required)
    if errors:
        raise SalesforceError(400, errors)
    org = request.org
    if org.publisher is None:
        raise SalesforceError.of(503, "SERVER_UNAVAILABLE", "The event bus is not available")
    values["CreatedById"] = request.session.user_id
    event_uuid = org.publisher.publish_platform_event(obj.name, values)
    event_id = org.store.ids.new(obj.key_prefix)
    return ok(
        {
            "id": event_id,
            "success": True,
            "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": event_uuid, "fields": []}],
        },
        201,
    )


def _event_value(kind: str, value: Any) -> Any:
    """Event payload datetimes use the CometD form (`...Z`), not the REST `+0000` form."""
    if kind == "datetime" and isinstance(value, str) and value.endswith("+0000"):
        return value[:-5] + "Z"
    return value
