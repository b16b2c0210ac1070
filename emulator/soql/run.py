"""Execute SOQL text: returns the total size and the shaped rows (before paging)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.ids import normalise
from emulator.schema.model import ObjectDef
from emulator.soql.evaluate import Evaluator, resolve, shaper
from emulator.soql.nodes import Compare, Condition, Logic, Query
from emulator.soql.parser import SoqlError, parse
from emulator.store import Record, Store


@dataclass
class QueryResult:
    total_size: int
    rows: list[dict[str, Any]] = field(default_factory=list)


def _sort(evaluator: Evaluator, query: Query, records: list[Record]) -> list[Record]:
    for item in reversed(query.order_by):
        _, get = evaluator.getter(item.path)
        present = [r for r in records if get(r) is not None]
        missing = [r for r in records if get(r) is None]
        present.sort(
            key=lambda r: v.casefold() if isinstance(v := get(r), str) else v,
            reverse=item.descending,
        )
        records = missing + present if item.nulls_go_first else present + missing
    return records


def _object(store: Store, name: str) -> ObjectDef:
    obj = store.schema.get(name)
    if obj is None or obj.is_event:
        raise SoqlError(
            f"\n{name}\n^\nERROR at Row:1:Column:1\nsObject type '{name}' is not supported. If you "
            "are attempting to use a custom object, be sure to append the '__c' after the entity "
            "name. Please reference your WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )
    return obj


def _ids_for(store: Store, obj: ObjectDef, condition: Compare) -> set[str] | None:
    """Ids matching `Id`/reference `=`/`IN` literals via the store's indexes, else None."""
    if len(condition.path) != 1 or condition.op not in ("=", "IN"):
        return None
    definition = obj.field(condition.path[0])
    if definition is None or definition.type not in ("id", "reference"):
        return None
    literals = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    wanted = {normalise(lit.value) for lit in literals if lit.kind == "string"}
    if len(wanted) != len(literals):
        return None
    ids = {i for i in wanted if i}
    if definition.type == "id":
        return ids
    found: set[str] = set()
    for value in ids:
        found |= store.ids_with(obj.name, definition.name, value)
    return found


def _indexed_candidates(store: Store, obj: ObjectDef, where: Condition | None) -> set[str] | None:
    """A superset of the matching ids when an AND-ed Id/reference equality narrows the scan."""
    if isinstance(where, Compare):
        return _ids_for(store, obj, where)
    if isinstance(where, Logic) and where.op == "AND":
        for item in where.items:
            if isinstance(item, Compare) and (ids := _ids_for(store, obj, item)) is not None:
                return ids
    return None


def _group_paths(obj: ObjectDef, query: Query) -> list[tuple[str, ...]]:
    """Field paths for FIELDS(ALL|STANDARD|CUSTOM), after the explicitly named ones."""
    named = {p[0].lower() for p in query.fields if len(p) == 1}
    wanted = [
        d.name
        for d in obj.fields.values()
        if ("ALL" in query.field_groups)
        or ("STANDARD" in query.field_groups and not d.custom)
        or ("CUSTOM" in query.field_groups and d.custom)
    ]
    if {"ALL", "STANDARD"} & set(query.field_groups):
        wanted += list(obj.addresses)
    return [(name,) for name in wanted if name.lower() not in named]


def run_query(
    store: Store, text: str, version: str, now: datetime, *, include_deleted: bool = False
) -> QueryResult:
    query = parse(text)
    obj = _object(store, query.object_name)
    evaluator = Evaluator(store, obj, now)
    paths = [resolve(store.schema, obj, p) for p in [*query.fields, *_group_paths(obj, query)]]
    for item in query.order_by:
        evaluator.getter(item.path)
    predicate = evaluator.compile(query.where) if query.where is not None else None
    with store.lock:
        candidates = _indexed_candidates(store, obj, query.where)
        table = store.tables.get(obj.name, {})
        if candidates is None:
            records = list(table.values())
        else:
            records = [table[i] for i in sorted(candidates) if i in table]
    if not include_deleted:
        records = [r for r in records if not r.get("IsDeleted")]
    if predicate is not None:
        records = [r for r in records if predicate(r)]
    if query.order_by:
        records = _sort(evaluator, query, records)
    records = records[query.offset :]
    if query.limit is not None:
        records = records[: query.limit]
    if query.count_only:
        return QueryResult(len(records))
    return QueryResult(len(records), list(map(shaper(version, store, obj, paths), records)))
