"""Object and field definitions with the attributes describe reports and validation needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "combobox"})
NUMBER_TYPES = frozenset({"double", "int", "currency", "percent"})


@dataclass(frozen=True)
class FieldDef:
    """One field as describe shows it."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    default_value: Any = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    precision: int = 0
    scale: int = 0
    auto_number_format: str | None = None

    @property
    def required_on_create(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create


@dataclass
class ObjectDef:
    """One sObject type (or platform event) and its fields."""

    name: str
    key_prefix: str
    label: str = ""
    custom: bool = False
    is_event: bool = False
    cdc: bool = True
    fields: dict[str, FieldDef] = field(default_factory=dict)
    # compound address name -> component prefix, e.g. "MailingAddress" -> "Mailing"
    addresses: dict[str, str] = field(default_factory=dict)
    name_from_parts: bool = False  # Name = FirstName + LastName (Contact, Lead, Individual)
    _lower: dict[str, str] = field(default_factory=dict, repr=False)
    _relationships: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def add(self, *defs: FieldDef) -> None:
        for definition in defs:
            self.fields[definition.name] = definition
            self._lower[definition.name.lower()] = definition.name
            if definition.relationship_name:
                self._relationships[definition.relationship_name.lower()] = definition

    def field(self, name: str) -> FieldDef | None:
        canonical = self._lower.get(name.lower())
        return self.fields[canonical] if canonical else None

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field behind a parent relationship name (e.g. `Account`)."""
        return self._relationships.get(name.lower())

    def address_field(self, name: str) -> str | None:
        for compound in self.addresses:
            if compound.lower() == name.lower():
                return compound
        return None

    @property
    def label_plural(self) -> str:
        return self.label + "s"


@dataclass
class Schema:
    """All object definitions of the org, looked up case-insensitively."""

    objects: dict[str, ObjectDef] = field(default_factory=dict)
    _lower: dict[str, str] = field(default_factory=dict, repr=False)
    _by_prefix: dict[str, str] = field(default_factory=dict, repr=False)

    def add(self, definition: ObjectDef) -> None:
        self.objects[definition.name] = definition
        self._lower[definition.name.lower()] = definition.name
        self._by_prefix[definition.key_prefix] = definition.name

    def get(self, name: str) -> ObjectDef | None:
        canonical = self._lower.get(name.lower())
        return self.objects[canonical] if canonical else None

    def by_prefix(self, key_prefix: str) -> ObjectDef | None:
        name = self._by_prefix.get(key_prefix)
        return self.objects[name] if name else None

    def cdc_entities(self) -> list[str]:
        return [o.name for o in self.objects.values() if o.cdc and not o.is_event]

    def platform_events(self) -> list[ObjectDef]:
        return [o for o in self.objects.values() if o.is_event]
