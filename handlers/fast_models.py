"""Construct output models from trusted, complete values without validation (hot path).

`model_construct` walks every field for aliases and defaults (~20 µs); the aggregate builds
tens of cells per message. This sets exactly the attributes `model_construct` sets (pydantic
2.x internals), so it is guarded by a unit test comparing with validated construction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from types import MemberDescriptorType
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")
_set = object.__setattr__


@cache
def _fields_set(cls: type[BaseModel]) -> set[str]:
    """Every field is set; one shared set per (frozen) model class, never mutated."""
    return set(cls.model_fields)


# BaseModel's slot setters, called directly (object.__setattr__ looks each one up by name).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def construct(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of `cls` from `values`, which must name every field with a valid value."""
    model = cls.__new__(cls)
    _set_dict(model, values)
    _set_fields_set(model, _fields_set(cls))
    _set_extra(model, None)
    _set_private(model, None)
    return model


@cache
def _slot_names(cls: type) -> tuple[str, ...]:
    fields = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__} needs dataclasses.replace")
    return tuple(f.name for f in fields)


def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The slot's own setter (skips the frozen `__setattr__`), else `object.__setattr__`."""
    slot = next((k.__dict__[name] for k in cls.__mro__ if name in k.__dict__), None)
    if isinstance(slot, MemberDescriptorType):
        return slot.__set__
    return lambda instance, value: _set(instance, name, value)


def _generated(cls: type, parameters: str, values: list[str]) -> Callable[..., Any]:
    """`def made(<parameters>)` that builds a `cls` by setting each slot (in field order) to the
    matching expression of `values`, one line per field (no loop, no `__init__`)."""
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__}
    lines = [f"def made({parameters}):", "    made = new(cls)"]
    for index, (name, value) in enumerate(zip(_slot_names(cls), values, strict=True)):
        scope[f"set{index}"] = _setter(cls, name)
        lines.append(f"    set{index}(made, {value})")
    lines.append("    return made")
    exec("\n".join(lines), scope)  # noqa: S102 - source built above from field names only
    function: Callable[..., Any] = scope["made"]
    return function


@cache
def _copier(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    """`copy(instance, changes)` for `cls`."""
    values = [f"changes[{n!r}] if {n!r} in changes else instance.{n}" for n in _slot_names(cls)]
    return _generated(cls, "instance, changes", values)


def maker(cls: type[D]) -> Callable[..., D]:
    """`cls(*values)` for a frozen dataclass, every field given positionally in field order,
    without its `__init__` (which calls `object.__setattr__` once per field). Call it once per
    class (at import): each call generates the function again."""
    count = len(_slot_names(cls))  # type: ignore[arg-type]  # a class is hashable
    values = [f"value{index}" for index in range(count)]
    made: Callable[..., D] = _generated(cls, ", ".join(values), values)
    return made


def evolve(instance: D, **changes: Any) -> D:
    """`dataclasses.replace` for frozen dataclasses without `__post_init__` or init=False
    fields (several times faster: no `__init__` call, a generated copy per class)."""
    made: D = _copier(type(instance))(instance, changes)  # type: ignore[arg-type]  # hashable
    return made
