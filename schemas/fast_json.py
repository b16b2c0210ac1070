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


_plain: dict[type, bool] = {}  # class -> written as its `__dict__` (a dict look-up per value)


def _plain_class(cls: type) -> bool:
    known = _plain.get(cls)
    if known is None:
        known = _plain[cls] = issubclass(cls, BaseModel) and _plain_model(cls)
    return known


SHARED_MAX = 4096  # models written from a kept fragment; all forgotten when one more comes
# id -> (the model, its JSON): written by `share` only; read by every fallback (also dump_state)
SHARED_JSON: dict[int, tuple[BaseModel, orjson.Fragment]] = {}


def share(model: BaseModel) -> bool:
    """Write `model`, wherever it is nested, from its JSON made now (an immutable model that
    many documents contain). Only a plain model whose JSON no option changes (no datetime) is
    shared; it is kept alive while shared (so its id names it). True if it is shared."""
    if not _plain_class(type(model)):
        return False
    document = model.__dict__
    data = orjson.dumps(document, default=_default)
    if data != orjson.dumps(document, default=_default, option=orjson.OPT_UTC_Z):
        return False
    if len(SHARED_JSON) >= SHARED_MAX:
        SHARED_JSON.clear()
    SHARED_JSON[id(model)] = (model, orjson.Fragment(data))
    return True


def shared_json(value: object) -> orjson.Fragment | None:
    """The JSON of `value` if it is shared (`share`)."""
    entry = SHARED_JSON.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


def _default(value: object) -> object:
    entry = SHARED_JSON.get(id(value))  # inlined `shared_json`
    if entry is not None and entry[0] is value:
        return entry[1]
    plain = _plain.get(type(value))  # inlined `_plain_class`: called for every nested model
    if plain or (plain is None and _plain_class(type(value))):
        return value.__dict__
    if isinstance(value, frozenset | set):
        return list(value)
    raise _NotPlain


def right_sized(data: bytes) -> bytes:
    """`data` in a buffer of its length. orjson returns its working buffer (4 KiB for a 500-byte
    document, 8 KiB for 1.5 KB with orjson 3.13): a value that is kept (a table value, a message
    waiting to be sent) would hold on to all of it, and every new page is a page fault."""
    return memoryview(data).tobytes()


def dump_json(model: BaseModel) -> bytes:
    """`model.model_dump_json().encode()`, faster for the plain models the pipeline sends."""
    document = model.__dict__ if _plain_class(type(model)) else model
    try:
        return right_sized(orjson.dumps(document, default=_default, option=orjson.OPT_UTC_Z))
    except TypeError:  # orjson wraps what `_default` raises
        return model.model_dump_json().encode()
