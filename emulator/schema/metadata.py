"""Load lawful's custom objects, fields and platform events from the SFDX source (stdlib XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from emulator.schema.builders import new_object
from emulator.schema.model import FieldDef, ObjectDef, Schema

NS = "{http://soap.sforce.com/2006/04/metadata}"
TYPE_MAP = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Checkbox": "boolean",
    "DateTime": "datetime",
    "Date": "date",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Lookup": "reference",
    "MasterDetail": "reference",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
}
FIXED_LENGTHS = {"email": 80, "phone": 40, "url": 255, "picklist": 255, "reference": 18}


def default_metadata_dir() -> Path:
    """`salesforce/` next to the `emulator` package (repository checkout or installed wheel)."""
    return Path(__file__).resolve().parents[2] / "salesforce"


def _text(element: ET.Element, tag: str, default: str = "") -> str:
    found = element.find(NS + tag)
    return (found.text or default).strip() if found is not None else default


def _parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()  # noqa: S314 - trusted, project-owned files


def parse_field(path: Path) -> FieldDef:
    root = _parse(path)
    name = _text(root, "fullName") or path.name.split(".")[0]
    sf_type = _text(root, "type")
    kind = TYPE_MAP.get(sf_type)
    if kind is None:
        raise ValueError(f"{path}: unsupported field type {sf_type!r}")
    values: list[str] = []
    default: object = None
    restricted = False
    value_set = root.find(NS + "valueSet")
    if value_set is not None:
        restricted = _text(value_set, "restricted") == "true"
        for value in value_set.iter(NS + "value"):
            values.append(_text(value, "fullName"))
            if _text(value, "default") == "true":
                default = values[-1]
    if kind == "boolean":
        default = _text(root, "defaultValue", "false") == "true"
    required = _text(root, "required") == "true" and kind != "boolean"
    length = int(_text(root, "length", "0") or 0) or FIXED_LENGTHS.get(kind, 0)
    reference_to = _text(root, "referenceTo")
    return FieldDef(
        name=name,
        type=kind,
        label=_text(root, "label", name),
        length=length,
        nillable=not required and kind != "boolean",
        defaulted_on_create=default is not None,
        default_value=default,
        picklist=tuple(values),
        restricted_picklist=restricted,
        reference_to=(reference_to,) if reference_to else (),
        relationship_name=name.removesuffix("__c") + "__r" if reference_to else None,
        external_id=_text(root, "externalId") == "true",
        unique=_text(root, "unique") == "true",
        custom=True,
        precision=int(_text(root, "precision", "0") or 0),
        scale=int(_text(root, "scale", "0") or 0),
    )


def _custom_object(directory: Path, key_prefix: str) -> ObjectDef:
    name = directory.name
    root = _parse(directory / f"{name}.object-meta.xml")
    is_event = name.endswith("__e")
    obj = ObjectDef(name=name, key_prefix=key_prefix, label=_text(root, "label", name))
    obj.custom = True
    obj.is_event = is_event
    obj.cdc = not is_event
    if is_event:
        return obj
    standard = new_object(name, key_prefix, label=obj.label)
    obj.add(*standard.fields.values())
    name_field = root.find(NS + "nameField")
    if name_field is not None and _text(name_field, "type") == "AutoNumber":
        obj.add(
            FieldDef(
                "Name",
                "string",
                _text(name_field, "label", "Name"),
                80,
                createable=False,
                updateable=False,
                auto_number_format=_text(name_field, "displayFormat"),
            )
        )
    else:
        obj.add(FieldDef("Name", "string", "Name", 80, nillable=False))
    return obj


def load_metadata(schema: Schema, metadata_dir: Path | None = None) -> None:
    """Add custom objects/events and custom fields on standard objects to `schema`."""
    objects_dir = (metadata_dir or default_metadata_dir()) / "force-app/main/default/objects"
    directories = sorted(p for p in objects_dir.iterdir() if p.is_dir())
    custom_count = event_count = 0
    for directory in directories:
        if (directory / f"{directory.name}.object-meta.xml").exists():
            if directory.name.endswith("__e"):
                prefix, event_count = f"e{event_count:02d}", event_count + 1
            else:
                prefix, custom_count = f"a{custom_count:02d}", custom_count + 1
            schema.add(_custom_object(directory, prefix))
        target = schema.get(directory.name)
        if target is None:
            raise ValueError(f"{directory}: unknown standard object {directory.name}")
        fields_dir = directory / "fields"
        if fields_dir.is_dir():
            target.add(*(parse_field(p) for p in sorted(fields_dir.glob("*.field-meta.xml"))))
