"""Run a parsed query against the store: field resolution, filtering, ordering, shaping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.ids import normalise
from emulator.rest.records import address_value, attributes, record_url
from emulator.schema.model import NUMBER_TYPES, FieldDef, ObjectDef, Schema
from emulator.soql.dates import as_stored, date_range
from emulator.soql.nodes import Compare, Condition, DateLiteral, Literal, Logic, Not
from emulator.soql.parser import SoqlError
from emulator.store import Record, Store
from emulator.validation import FieldValueError, coerce_datetime

Getter = Callable[[Record], Any]


@dataclass(frozen=True)
class ResolvedPath:
    """A dotted field path resolved to its relationship hops and final field."""

    hops: tuple[FieldDef, ...]  # reference fields followed
    names: tuple[str, ...]  # canonical relationship names, then the field name
    final: FieldDef | None  # None for compound address fields
    owner: ObjectDef
    address: str | None = None


def resolve(schema: Schema, obj: ObjectDef, path: tuple[str, ...]) -> ResolvedPath:
    current = obj
    hops: list[FieldDef] = []
    names: list[str] = []
    for part in path[:-1]:
        reference = current.relationship(part)
        if reference is None or reference.relationship_name is None:
            raise SoqlError(
                f"Didn't understand relationship '{part}' in field path. If you are attempting to "
                "use a custom relationship, be sure to append the '__r' after the custom "
                "relationship name.",
                "INVALID_FIELD",
            )
        target = schema.get(reference.reference_to[0])
        if target is None:
            raise SoqlError(f"Didn't understand relationship '{part}'", "INVALID_FIELD")
        hops.append(reference)
        names.append(reference.relationship_name)
        current = target
    leaf = path[-1]
    compound = current.address_field(leaf)
    if compound is not None:
        return ResolvedPath(tuple(hops), (*names, compound), None, current, compound)
    definition = current.field(leaf)
    if definition is None:
        raise SoqlError(
            f"No such column '{leaf}' on entity '{current.name}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name.",
            "INVALID_FIELD",
        )
    return ResolvedPath(tuple(hops), (*names, definition.name), definition, current)


def follow(store: Store, record: Record | None, hops: Iterable[FieldDef]) -> Record | None:
    for hop in hops:
        if record is None:
            return None
        target_id = record.get(hop.name)
        found = store.find(target_id) if target_id else None
        record = found[1] if found else None
    return record


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def _normal(definition: FieldDef, value: Any) -> Any:
    """Comparable form of a stored or literal value for `definition`."""
    if value is None:
        return None
    if definition.type in ("id", "reference"):
        return normalise(value) or value
    if isinstance(value, str) and definition.type not in ("date", "datetime"):
        return value.casefold()
    return value


class Evaluator:
    """Compiles a WHERE condition to a predicate over records of `obj`."""

    def __init__(self, store: Store, obj: ObjectDef, now: datetime) -> None:
        self.store = store
        self.obj = obj
        self.now = now

    def getter(self, path: tuple[str, ...]) -> tuple[ResolvedPath, Getter]:
        resolved = resolve(self.store.schema, self.obj, path)
        name = resolved.names[-1]
        if not resolved.hops:
            return resolved, lambda r: r.get(name)
        hops = resolved.hops
        return resolved, lambda r: (follow(self.store, r, hops) or {}).get(name)

    def literal(self, definition: FieldDef, literal: Literal) -> Any:
        kind = definition.type
        if literal.kind == "relative" and isinstance(literal.value, DateLiteral):
            if kind not in ("date", "datetime"):
                raise SoqlError(f"date literal not allowed for field {definition.name}")
            start, end = date_range(literal.value, self.now)
            return (as_stored(start, kind), as_stored(end, kind))
        if literal.kind in ("date", "datetime") and kind in ("date", "datetime"):
            text = str(literal.value)
            if kind == "date":
                return text[:10]
            try:
                return coerce_datetime(text if "T" in text else text + "T00:00:00Z")
            except FieldValueError:
                raise SoqlError(f"invalid datetime literal {text}") from None
        if kind == "boolean" and literal.kind not in ("boolean", "null"):
            raise SoqlError(
                f"value of filter criterion for field '{definition.name}' must be of "
                "type boolean and should not be enclosed in quotes",
                "INVALID_FIELD",
            )
        if kind in NUMBER_TYPES and literal.kind == "string":
            raise SoqlError(
                f"value of filter criterion for field '{definition.name}' must be of "
                "type double and should not be enclosed in quotes",
                "INVALID_FIELD",
            )
        return _normal(definition, literal.value)

    def compile(self, condition: Condition) -> Callable[[Record], bool]:
        if isinstance(condition, Logic):
            parts = [self.compile(c) for c in condition.items]
            if condition.op == "AND":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if isinstance(condition, Not):
            inner = self.compile(condition.item)
            return lambda r: not inner(r)
        return self._compare(condition)

    def _compare(self, condition: Compare) -> Callable[[Record], bool]:
        resolved, get = self.getter(condition.path)
        definition = resolved.final
        if definition is None:
            raise SoqlError("compound fields cannot be filtered", "INVALID_FIELD")
        op = condition.op
        if isinstance(condition.value, tuple):
            wanted = {self.literal(definition, v) for v in condition.value}
            if op in ("INCLUDES", "EXCLUDES"):

                def has(r: Record) -> bool:
                    return bool(wanted & set(str(get(r) or "").casefold().split(";")))

                return has if op == "INCLUDES" else (lambda r: not has(r))

            def inside(r: Record) -> bool:
                return _normal(definition, get(r)) in wanted

            return inside if op == "IN" else (lambda r: not inside(r))
        value = self.literal(definition, condition.value)
        if op == "LIKE":
            pattern = _like(str(condition.value.value))
            return lambda r: (v := get(r)) is not None and bool(pattern.match(str(v)))
        if isinstance(value, tuple):
            return _range_predicate(op, value, get)
        return _scalar_predicate(op, value, lambda r: _normal(definition, get(r)))


def _range_predicate(op: str, bounds: tuple[str, str], get: Getter) -> Callable[[Record], bool]:
    start, end = bounds
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: start <= v < end,
        "!=": lambda v: not start <= v < end,
        "<": lambda v: v < start,
        "<=": lambda v: v < end,
        ">": lambda v: v >= end,
        ">=": lambda v: v >= start,
    }
    test = tests[op]
    return lambda r: (v := get(r)) is not None and test(v)


def _scalar_predicate(op: str, value: Any, get: Getter) -> Callable[[Record], bool]:
    if value is None:
        if op == "=":
            return lambda r: get(r) is None
        if op == "!=":
            return lambda r: get(r) is not None
        raise SoqlError("null can only be compared with = or !=")
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: v == value,
        "!=": lambda v: v != value,
        "<": lambda v: v < value,
        "<=": lambda v: v <= value,
        ">": lambda v: v > value,
        ">=": lambda v: v >= value,
    }
    test = tests[op]
    if op == "!=":
        return lambda r: test(get(r))
    return lambda r: (v := get(r)) is not None and test(v)


def shaper(
    version: str, store: Store, obj: ObjectDef, paths: list[ResolvedPath]
) -> Callable[[Record], dict[str, Any]]:
    """Query result rows (parent relationships nested) for one query's selected paths, sorted
    out once: runs of plain fields of the queried object are copied in one step."""
    steps: list[tuple[str, ...] | ResolvedPath] = []
    for resolved in paths:
        if resolved.hops or resolved.address is not None:
            steps.append(resolved)
        elif steps and isinstance(steps[-1], tuple):
            steps[-1] = (*steps[-1], resolved.names[-1])
        else:
            steps.append((resolved.names[-1],))
    type_name, base = obj.name, record_url(version, obj.name, "")

    def row_of(record: Record) -> dict[str, Any]:
        record_id = record["Id"]
        row: dict[str, Any] = {
            "attributes": {"type": type_name, "url": base + record_id}
            if record_id
            else {"type": type_name}
        }
        get = record.get
        for step in steps:
            if isinstance(step, tuple):
                row.update(zip(step, map(get, step), strict=True))
            else:
                _put(version, store, row, record, step)
        return row

    return row_of


def _put(
    version: str, store: Store, row: dict[str, Any], record: Record, resolved: ResolvedPath
) -> None:
    """Set one selected path of `record` in `row` (parent objects created on the way)."""
    target: dict[str, Any] | None = row
    source: Record | None = record
    for hop, rel_name in zip(resolved.hops, resolved.names, strict=False):
        if target is None:
            break
        source = follow(store, source, (hop,))
        if rel_name not in target:
            found = store.find(source["Id"]) if source else None
            target[rel_name] = (
                {"attributes": attributes(version, found[0].name, source["Id"])}
                if found and source
                else None
            )
        target = target[rel_name]
    if target is None or source is None:
        return
    leaf = resolved.names[-1]
    if resolved.address is not None:
        target[leaf] = address_value(resolved.owner, source, resolved.address)
    else:
        target[leaf] = source.get(leaf)
