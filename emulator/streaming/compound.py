"""Compound fields (Name, addresses) as CDC shapes them: nested objects, `Name.LastName` paths."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

NAME_COMPONENTS = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix", "InformalName")
ADDRESS_COMPONENTS = (
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "StateCode",
    "CountryCode",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
)
# Entities whose person name is the compound `Name` (its plain string form is derived).
_PERSON_NAME_ENTITIES = frozenset({"Contact", "Lead", "Individual", "User"})
# Person accounts carry name components; a business Account's `Name` is a plain field.
_OPTIONAL_NAME_ENTITIES = frozenset({"Account"})
_ADDRESS_PREFIXES: dict[str, tuple[str, ...]] = {
    "Contact": ("Mailing", "Other"),
    "Account": ("Billing", "Shipping", "PersonMailing", "PersonOther"),
    "Lead": ("",),
    "User": ("",),
    "ContactPointAddress": ("",),
}


@lru_cache(maxsize=256)
def component_map(entity: str) -> dict[str, tuple[str, str]]:
    """Flat field name -> (compound field, component) for one entity."""
    mapping: dict[str, tuple[str, str]] = {}
    if entity in _PERSON_NAME_ENTITIES or entity in _OPTIONAL_NAME_ENTITIES:
        mapping.update({part: ("Name", part) for part in NAME_COMPONENTS})
    for prefix in _ADDRESS_PREFIXES.get(entity, ()):
        compound = f"{prefix}Address"
        mapping.update({f"{prefix}{part}": (compound, part) for part in ADDRESS_COMPONENTS})
    return mapping


@lru_cache(maxsize=256)
def compound_names(entity: str) -> frozenset[str]:
    return frozenset(compound for compound, _ in component_map(entity).values())


def group_fields(entity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Regroup flat component fields into nested compound objects, keeping field order."""
    mapping = component_map(entity)
    compounds = compound_names(entity)
    grouped: dict[str, Any] = {}
    has_name_parts = any(name in fields for name in NAME_COMPONENTS) and "Name" in compounds
    for name, value in fields.items():
        target = mapping.get(name)
        if target is not None:
            compound, part = target
            nested = grouped.get(compound)
            if not isinstance(nested, dict):
                nested = grouped[compound] = {}
            nested[part] = value
        elif name in compounds and (name != "Name" or _derived_name(entity, has_name_parts)):
            continue  # the store's own rendering of a compound field; CDC rebuilds it
        else:
            grouped[name] = value
    return grouped


def _derived_name(entity: str, has_name_parts: bool) -> bool:
    return entity in _PERSON_NAME_ENTITIES or has_name_parts


def changed_field_paths(entity: str, names: list[str]) -> list[str]:
    """`changedFields` entries: `Name.LastName`, `MailingAddress.City`, plain names otherwise."""
    mapping = component_map(entity)
    paths: list[str] = []
    has_name_parts = any(name in NAME_COMPONENTS for name in names)
    compounds = compound_names(entity)
    for name in names:
        target = mapping.get(name)
        if target is not None:
            paths.append(f"{target[0]}.{target[1]}")
        elif name in compounds and (name != "Name" or _derived_name(entity, has_name_parts)):
            continue
        else:
            paths.append(name)
    return paths
