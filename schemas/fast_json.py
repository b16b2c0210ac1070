"""JSON of pydantic models through orjson (about 3x pydantic's serializer on the worker's outputs).

orjson writes each model as its field values (`__dict__`), enums as their values, datetimes in
RFC 3339 with `Z` for UTC: the document pydantic's `model_dump_json()` writes, key order aside.
A model class with serialization customisations (serializers, serialization aliases, computed
fields) is written by pydantic instead, and so is anything orjson cannot write (a timedelta, say):
tests/unit/test_fast_json.py compares both on the engine's outputs.
"""

from __future__ import annotations

from functools import cache

import orjson
from pydantic import BaseModel, PlainSerializer, WrapSerializer

_SERIALIZERS = (PlainSerializer, WrapSerializer)


@cache
def _plain_model(cls: type[BaseModel]) -> bool:
    """Whether `cls` serializes as its plain field values (checked once per class)."""
    decorators = cls.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or decorators.computed_fields:
        return False
    if cls.model_config.get("serialize_by_alias"):
        return False
    return all(
        field.serialization_alias is None
        and not field.exclude
        and not any(isinstance(item, _SERIALIZERS) for item in field.metadata)
        for field in cls.model_fields.values()
    )


class _NotPlain(Exception):  # noqa: N818 - control flow, never leaves this module
    pass


def _default(value: object) -> object:
    if isinstance(value, BaseModel) and _plain_model(type(value)):
        return value.__dict__
    if isinstance(value, frozenset | set):
        return list(value)
    raise _NotPlain


def dump_json(model: BaseModel) -> bytes:
    """`model.model_dump_json().encode()`, faster for the plain models the pipeline sends."""
    try:
        return orjson.dumps(model, default=_default, option=orjson.OPT_UTC_Z)
    except TypeError:  # orjson wraps what `_default` raises
        return model.model_dump_json().encode()
