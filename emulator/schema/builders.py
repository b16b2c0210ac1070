"""Short constructors for field definitions, used by the standard-object tables."""

from __future__ import annotations

from collections.abc import Sequence

from emulator.schema.model import ADDRESS_COMPONENTS, FieldDef, ObjectDef


def _label(name: str) -> str:
    return name.removesuffix("__c").removesuffix("Id").replace("_", " ") or name


def text(name: str, length: int = 255, *, required: bool = False, ext: bool = False) -> FieldDef:
    return FieldDef(
        name, "string", _label(name), length, nillable=not required, external_id=ext, unique=ext
    )


def textarea(name: str, length: int = 32000) -> FieldDef:
    return FieldDef(name, "textarea", _label(name), length)


def email(name: str, *, required: bool = False) -> FieldDef:
    return FieldDef(name, "email", _label(name), 80, nillable=not required)


def phone(name: str, *, required: bool = False) -> FieldDef:
    return FieldDef(name, "phone", _label(name), 40, nillable=not required)


def url(name: str) -> FieldDef:
    return FieldDef(name, "url", _label(name), 255)


def boolean(name: str, default: bool = False) -> FieldDef:
    return FieldDef(
        name,
        "boolean",
        _label(name),
        nillable=False,
        defaulted_on_create=True,
        default_value=default,
    )


def datetime_(name: str, *, required: bool = False) -> FieldDef:
    return FieldDef(name, "datetime", _label(name), nillable=not required)


def date(name: str, *, required: bool = False) -> FieldDef:
    return FieldDef(name, "date", _label(name), nillable=not required)


def number(name: str, precision: int = 18, scale: int = 2, kind: str = "double") -> FieldDef:
    return FieldDef(name, kind, _label(name), precision=precision, scale=scale)


def integer(name: str) -> FieldDef:
    return FieldDef(name, "int", _label(name), precision=9)


def picklist(
    name: str,
    values: Sequence[str],
    *,
    restricted: bool = False,
    default: str | None = None,
    required: bool = False,
) -> FieldDef:
    return FieldDef(
        name,
        "picklist",
        _label(name),
        255,
        nillable=not required,
        defaulted_on_create=default is not None,
        default_value=default,
        picklist=tuple(values),
        restricted_picklist=restricted,
    )


def ref(
    name: str, to: str | Sequence[str], relationship: str | None = None, *, required: bool = False
) -> FieldDef:
    targets = (to,) if isinstance(to, str) else tuple(to)
    rel = relationship or name.removesuffix("Id")
    return FieldDef(
        name,
        "reference",
        _label(name),
        18,
        nillable=not required,
        reference_to=targets,
        relationship_name=rel,
    )


def readonly(definition: FieldDef) -> FieldDef:
    """The same field but neither createable nor updateable (system/computed fields)."""
    return FieldDef(
        **{**definition.__dict__, "createable": False, "updateable": False, "nillable": True}
    )


def system_fields(owned: bool = True) -> list[FieldDef]:
    fields = [
        FieldDef("Id", "id", "Record ID", 18, nillable=False, createable=False, updateable=False),
        readonly(boolean("IsDeleted")),
        readonly(datetime_("CreatedDate")),
        readonly(ref("CreatedById", "User", "CreatedBy")),
        readonly(datetime_("LastModifiedDate")),
        readonly(ref("LastModifiedById", "User", "LastModifiedBy")),
        readonly(datetime_("SystemModstamp")),
    ]
    if owned:
        owner = ref("OwnerId", "User", "Owner")
        fields.append(FieldDef(**{**owner.__dict__, "defaulted_on_create": True}))
    return fields


def address(obj: ObjectDef, compound: str, prefix: str) -> None:
    """Add an address's component fields (MailingStreet, ...) and register the compound."""
    obj.addresses[compound] = prefix
    for part in ADDRESS_COMPONENTS:
        if part in ("Latitude", "Longitude"):
            obj.add(number(prefix + part, 18, 15))
        elif part == "Street":
            obj.add(textarea(prefix + part, 255))
        else:
            obj.add(text(prefix + part, 80 if part != "PostalCode" else 20))


def new_object(
    name: str, prefix: str, *, owned: bool = True, label: str | None = None, cdc: bool = True
) -> ObjectDef:
    obj = ObjectDef(name=name, key_prefix=prefix, label=label or name, cdc=cdc)
    obj.add(*system_fields(owned))
    return obj
