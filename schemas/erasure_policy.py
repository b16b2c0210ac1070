"""The declarative erasure policy (YAML, versioned): what happens to each object and field."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Action(StrEnum):
    DELETE = "DELETE"  # record: delete it; field: blank it (masked when the field is required)
    MASK = "MASK"  # record: keep it with its personal fields masked; field: type-aware placeholder
    RETAIN = "RETAIN"  # keep as it is


class Link(BaseModel):
    """How a record of this object is found from the person's graph."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="The lookup field holding the related id")
    to: tuple[str, ...] = Field(
        description="Objects (of the graph) whose ids the lookup may hold; `Individual` = the root"
    )
    via: str = Field("Id", description="Field of the `to` records whose values are matched")


class CategoryRule(BaseModel):
    """Records of the object whose `field` holds one of `values` belong to `category` instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="Field read with the record, e.g. Lawful_Channel__c")
    values: tuple[str, ...] = Field(min_length=1, description="Values selecting the category")
    category: str = Field(description="Engine data category of the matching records")


class ObjectPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(description="Engine data category deciding ERASE or RETAIN")
    category_when: tuple[CategoryRule, ...] = Field(
        default=(), description="Per-record categories, first match wins (else `category`)"
    )
    action: Action = Field(description="What an ERASE decision does to the record")
    links: tuple[Link, ...] = Field(default=(), description="Empty only for `Individual`")
    fields: dict[str, Action] = Field(
        default_factory=dict, description="Personal fields: MASK or DELETE (blank)"
    )
    only_if_exclusive: bool = Field(
        False, description="Delete only when every link points into the graph (shared files)"
    )
    where: str | None = Field(None, description="Extra SOQL condition, e.g. IsPersonAccount = true")

    @model_validator(mode="after")
    def _retain_has_no_fields(self) -> ObjectPolicy:
        if self.action is Action.RETAIN and self.fields:
            raise ValueError("a RETAIN object masks nothing: remove its fields")
        return self


class ErasurePolicy(BaseModel):
    """Validated erasure policy; `version` is recorded in every tombstone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    mask_before_delete: bool = Field(
        True, description="Mask deleted records first: the recycle bin then holds no personal data"
    )
    objects: dict[str, ObjectPolicy]

    @model_validator(mode="after")
    def _links_are_known(self) -> ErasurePolicy:
        if "Individual" not in self.objects:
            raise ValueError("the policy must cover Individual (the root of the graph)")
        for name, obj in self.objects.items():
            if name != "Individual" and not obj.links:
                raise ValueError(f"{name}: links are required")
            for link in obj.links:
                unknown = [t for t in link.to if t not in self.objects]
                if unknown:
                    raise ValueError(f"{name}.{link.field}: unknown objects {unknown}")
        return self

    def categories(self) -> tuple[str, ...]:
        found = {obj.category for obj in self.objects.values()}
        found.update(r.category for obj in self.objects.values() for r in obj.category_when)
        return tuple(sorted(found))
