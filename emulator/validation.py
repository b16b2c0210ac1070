"""Coerce incoming field values to the stored form and reject bad writes as Salesforce does."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from emulator.clock import format_dt
from emulator.errors import ErrorItem
from emulator.ids import normalise
from emulator.schema.model import NUMBER_TYPES, TEXT_TYPES, FieldDef, ObjectDef

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldValueError(Exception):
    """A single field's value is invalid; carries the Salesforce error item."""

    def __init__(self, item: ErrorItem) -> None:
        super().__init__(item.message)
        self.item = item


def _parser_error(kind: str, value: Any) -> FieldValueError:
    token = "VALUE_STRING" if isinstance(value, str) else "VALUE_OTHER"
    return FieldValueError(
        ErrorItem(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {kind} from {token} value {value} or request may be "
            "missing a required field",
        )
    )


def _label(definition: FieldDef) -> str:
    return definition.label or definition.name


def _text(definition: FieldDef, value: Any) -> str:
    if isinstance(value, (bool, dict | list)):
        raise _parser_error("string", value)
    text = value if isinstance(value, str) else str(value)
    if definition.length and len(text) > definition.length:
        raise FieldValueError(
            ErrorItem(
                "STRING_TOO_LONG",
                f"{_label(definition)}: data value too large: {text[:80]} "
                f"(max length={definition.length})",
                (definition.name,),
            )
        )
    if definition.type == "email" and text and not _EMAIL.match(text):
        raise FieldValueError(
            ErrorItem(
                "INVALID_EMAIL_ADDRESS",
                f"{_label(definition)}: invalid email address: {text}",
                (definition.name,),
            )
        )
    restricted = definition.type == "picklist" and definition.restricted_picklist
    if restricted and text not in definition.picklist:
        raise FieldValueError(
            ErrorItem(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{_label(definition)}: bad value for restricted picklist field: {text}",
                (definition.name,),
            )
        )
    return text


def coerce_datetime(value: Any) -> str:
    if not isinstance(value, str):
        raise _parser_error("datetime", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _parser_error("datetime", value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.now().astimezone().tzinfo).astimezone()
    return format_dt(moment)


def _date(value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _parser_error("date", value)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _parser_error("date", value) from None
    return value


def _number(definition: FieldDef, value: Any) -> int | float:
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            raise _parser_error("double", value) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _parser_error("double", value)
    if definition.type == "int" and isinstance(value, float) and not value.is_integer():
        raise _parser_error("int", value)
    return int(value) if definition.type == "int" else value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _parser_error("boolean", value)


def _reference(definition: FieldDef, value: Any) -> str:
    record_id = normalise(value)
    if record_id is None:
        raise FieldValueError(
            ErrorItem(
                "MALFORMED_ID",
                f"{_label(definition)}: id value of incorrect type: {value}",
                (definition.name,),
            )
        )
    return record_id


def coerce_value(definition: FieldDef, value: Any) -> Any:
    """The stored form of `value` for `definition` (None stays None)."""
    if value is None:
        return None
    kind = definition.type
    if kind in TEXT_TYPES or kind == "multipicklist":
        return _text(definition, value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "datetime":
        return coerce_datetime(value)
    if kind == "date":
        return _date(value)
    if kind in NUMBER_TYPES:
        return _number(definition, value)
    if kind in ("reference", "id"):
        return _reference(definition, value)
    return value


def coerce_payload(
    obj: ObjectDef, payload: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], list[ErrorItem]]:
    """Map a request body onto canonical field names and stored values, collecting errors."""
    values: dict[str, Any] = {}
    errors: list[ErrorItem] = []
    not_writable: list[str] = []
    for key, raw in payload.items():
        if key == "attributes" or (key == "Id" and not creating):
            continue
        definition = obj.field(key)
        if definition is None:
            errors.append(
                ErrorItem(
                    "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}", (key,)
                )
            )
            continue
        writable = definition.createable if creating else definition.updateable
        if not writable:
            not_writable.append(definition.name)
            continue
        try:
            values[definition.name] = coerce_value(definition, raw)
        except FieldValueError as problem:
            errors.append(problem.item)
    if not_writable:
        verb = "create" if creating else "update"
        errors.append(
            ErrorItem(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb} fields: {', '.join(not_writable)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                tuple(not_writable),
            )
        )
    return values, errors


def missing_required(obj: ObjectDef, record: dict[str, Any]) -> ErrorItem | None:
    """REQUIRED_FIELD_MISSING for required fields without a value in the merged record."""
    missing = [
        d.name
        for d in obj.fields.values()
        if d.required_on_create and record.get(d.name) in (None, "")
    ]
    if obj.name == "Account" and not record.get("Name") and not record.get("LastName"):
        missing.append("Name")
    if not missing:
        return None
    return ErrorItem(
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(missing)}]",
        tuple(missing),
    )
