"""Record JSON as the REST API returns it: attributes first, nulls, lower-case address keys."""

from __future__ import annotations

from typing import Any

from emulator.schema.model import ADDRESS_COMPONENTS, ObjectDef
from emulator.store import Record


def record_url(version: str, obj_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{obj_name}/{record_id}"


def attributes(version: str, obj_name: str, record_id: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"type": obj_name}
    if record_id:
        attrs["url"] = record_url(version, obj_name, record_id)
    return attrs


def address_value(obj: ObjectDef, record: Record, compound: str) -> dict[str, Any] | None:
    prefix = obj.addresses[compound]
    parts = {part[0].lower() + part[1:]: record.get(prefix + part) for part in ADDRESS_COMPONENTS}
    if all(v is None for v in parts.values()):
        return None
    return dict(sorted(parts.items()))


def render_record(
    version: str, obj: ObjectDef, record: Record, fields: list[str] | None = None
) -> dict[str, Any]:
    """The GET sobjects/<Type>/<id> body; `fields` limits it to those (canonical) names."""
    out: dict[str, Any] = {"attributes": attributes(version, obj.name, record["Id"])}
    names = fields if fields is not None else list(obj.fields)
    for name in names:
        if fields is None and name in obj.addresses:
            continue
        out[name] = record.get(name)
    if fields is None:
        for compound in obj.addresses:
            out[compound] = address_value(obj, record, compound)
    return out
