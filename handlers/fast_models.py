"""Construct output models from trusted, complete values without validation (hot path).

`model_construct` walks every field for aliases and defaults (~20 µs); the aggregate builds
tens of cells per message. This sets exactly the attributes `model_construct` sets (pydantic
2.x internals), so it is guarded by a unit test comparing with validated construction.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
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
