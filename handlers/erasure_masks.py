"""Type- and length-aware placeholders that keep Salesforce validation passing (pure)."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.erasure_policy import Action

MASK_DOMAIN = "invalid.example"
PHONE_PLACEHOLDER = "+10000000000"
_NUMERIC = frozenset({"int", "double", "currency", "percent", "long"})
_TEXTUAL = frozenset({"string", "textarea", "encryptedstring", "combobox"})


class FieldMeta(BaseModel):
    """The part of a describe field entry that masking needs."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    type: str = "string"
    length: int = 0
    nillable: bool = True
    updateable: bool = True
    picklist_values: tuple[str, ...] = ()
    default_value: str | None = None


def field_meta(describe_field: dict[str, Any]) -> FieldMeta:
    """A `FieldMeta` from one entry of `sobjects/<type>/describe` `fields`."""
    values = [p for p in describe_field.get("picklistValues") or () if p.get("active", True)]
    default = next((str(p["value"]) for p in values if p.get("defaultValue")), None)
    return FieldMeta(
        name=str(describe_field["name"]),
        type=str(describe_field.get("type", "string")),
        length=int(describe_field.get("length") or 0),
        nillable=bool(describe_field.get("nillable", True)),
        updateable=bool(describe_field.get("updateable", True)),
        picklist_values=tuple(str(p["value"]) for p in values),
        default_value=default,
    )


def mask_token(request_id: str, record_id: str) -> str:
    """A short token from the (random) request id and the record id: never from personal data."""
    return hashlib.blake2b(f"{request_id}:{record_id}".encode(), digest_size=5).hexdigest()


def _fit(text: str, meta: FieldMeta) -> str:
    return text[: meta.length] if meta.length > 0 else text


def _email(token: str, meta: FieldMeta) -> str:
    address = f"erased+{token}@{MASK_DOMAIN}"
    if meta.length and len(address) > meta.length:
        address = f"e{token}@{MASK_DOMAIN}"[: meta.length]
    return address


def _picklist(current: Any, meta: FieldMeta) -> str | None:
    if meta.nillable and meta.type == "multipicklist":
        return None
    if current in meta.picklist_values:
        return str(current)
    return meta.default_value or (meta.picklist_values[0] if meta.picklist_values else None)


def placeholder(meta: FieldMeta, action: Action, current: Any, token: str) -> Any:
    """The value written for a personal field: None where allowed for DELETE, else a placeholder."""
    if meta.type in ("picklist", "multipicklist"):
        return None if action is Action.DELETE and meta.nillable else _picklist(current, meta)
    if action is Action.DELETE and meta.nillable:
        return None
    if meta.type == "email":
        return _email(token, meta)
    if meta.type == "phone":
        return _fit(PHONE_PLACEHOLDER, meta)
    if meta.type == "url":
        return _fit(f"https://{MASK_DOMAIN}", meta)
    if meta.type == "boolean":
        return False
    if meta.type in _NUMERIC:
        return 0
    if meta.type == "date":
        return "1900-01-01"
    if meta.type == "datetime":
        return "1900-01-01T00:00:00.000+0000"
    if meta.type in _TEXTUAL:
        return _fit(f"Erased {token}", meta)
    return None


def mask_values(
    fields: dict[str, Action],
    record: dict[str, Any],
    metas: dict[str, FieldMeta],
    token: str,
) -> dict[str, Any]:
    """Field -> new value for the personal fields that exist, are updateable and hold a value."""
    values: dict[str, Any] = {}
    for name, action in fields.items():
        meta = metas.get(name)
        if meta is None or not meta.updateable or action is Action.RETAIN:
            continue
        current = record.get(name)
        if current is None or current == "":
            continue
        new = placeholder(meta, action, current, token)
        if new != current:
            values[name] = new
    return values
