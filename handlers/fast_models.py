"""Construct output models from trusted, complete values without validation (hot path).

`model_construct` walks every field for aliases and defaults (~20 µs); the aggregate builds
tens of cells per message. This sets exactly the attributes `model_construct` sets (pydantic
2.x internals), so it is guarded by a unit test comparing with validated construction.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")
_set = object.__setattr__


@cache
def _fields_set(cls: type[BaseModel]) -> set[str]:
    """Every field is set; one shared set per (frozen) model class, never mutated."""
    return set(cls.model_fields)


def construct(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of `cls` from `values`, which must name every field with a valid value."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", _fields_set(cls))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


@cache
def _slot_names(cls: type) -> tuple[str, ...]:
    fields = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__} needs dataclasses.replace")
    return tuple(f.name for f in fields)


def evolve(instance: D, **changes: Any) -> D:
    """`dataclasses.replace` for frozen dataclasses without `__post_init__` or init=False
    fields (about 3x faster: no `__init__` call, one pass over the fields)."""
    cls = type(instance)
    new = object.__new__(cls)
    for name in _slot_names(cls):  # type: ignore[arg-type]  # a class is hashable
        _set(new, name, changes[name] if name in changes else getattr(instance, name))
    return new
