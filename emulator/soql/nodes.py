"""Syntax tree of a parsed SOQL query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DateLiteral:
    """A relative date literal such as TODAY or LAST_N_DAYS:30."""

    name: str
    n: int | None = None


@dataclass(frozen=True)
class Literal:
    """A constant: str, int, float, bool, None, or a date/datetime text with `kind`."""

    value: Any
    kind: str  # string | number | boolean | null | date | datetime | relative


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str  # = != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class Logic:
    op: str  # AND | OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | Logic | Not


@dataclass(frozen=True)
class OrderItem:
    path: tuple[str, ...]
    descending: bool = False
    nulls_first: bool | None = None

    @property
    def nulls_go_first(self) -> bool:
        return (not self.descending) if self.nulls_first is None else self.nulls_first


@dataclass
class Query:
    """SELECT fields FROM object [WHERE] [ORDER BY] [LIMIT] [OFFSET]."""

    fields: list[tuple[str, ...]] = field(default_factory=list)
    field_groups: list[str] = field(default_factory=list)  # FIELDS(ALL|STANDARD|CUSTOM)
    count_only: bool = False
    object_name: str = ""
    where: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
