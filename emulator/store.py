"""The in-memory record store: tables per sObject, the recycle bin and the change feed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from emulator.changes import ChangeSink, RecordChange, Transaction
from emulator.clock import Clock, format_datetime
from emulator.ids import IdFactory
from emulator.schema.model import ObjectDef, Schema

Record = dict[str, Any]
# Fields that never appear in change-event bodies.
NOT_IN_EVENTS = frozenset({"Id", "IsDeleted", "SystemModstamp"})


@dataclass(frozen=True)
class StagedChange:
    """One record change waiting for its transaction to commit."""

    entity: str
    change_type: str  # CREATE | UPDATE | DELETE | UNDELETE
    record_id: str
    values: dict[str, Any]
    nulled: tuple[str, ...]
    after: Record | None  # the record after the change; None = hard-deleted


@dataclass
class Store:
    """Records by object name and 18-char id; deleted rows stay with IsDeleted = True."""

    schema: Schema
    clock: Clock
    ids: IdFactory = field(default_factory=IdFactory)
    sink: ChangeSink | None = None
    cdc_entities: set[str] = field(default_factory=set)
    tables: dict[str, dict[str, Record]] = field(default_factory=dict)
    deleted_log: dict[str, dict[str, str]] = field(default_factory=dict)  # obj -> id -> date
    auto_numbers: dict[str, int] = field(default_factory=dict)
    commit_number: int = 1_721_136_551_405_445_000
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ext_index: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    _ref_index: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    _last_purge: float = 0.0

    def table(self, obj_name: str) -> dict[str, Record]:
        return self.tables.setdefault(obj_name, {})

    def get(self, obj_name: str, record_id: str) -> Record | None:
        return self.tables.get(obj_name, {}).get(record_id)

    def find(self, record_id: str) -> tuple[ObjectDef, Record] | None:
        """Look a record up by id alone (the key prefix names its object)."""
        obj = self.schema.by_prefix(record_id[:3])
        if obj is None:
            return None
        record = self.get(obj.name, record_id)
        return (obj, record) if record is not None else None

    def live(self, obj_name: str) -> Iterator[Record]:
        """Records not in the recycle bin (a snapshot: safe while other threads write)."""
        with self.lock:
            rows = list(self.tables.get(obj_name, {}).values())
        return (r for r in rows if not r.get("IsDeleted"))

    def next_auto_number(self, obj_name: str) -> int:
        number = self.auto_numbers.get(obj_name, 0) + 1
        self.auto_numbers[obj_name] = number
        return number

    def purge_recycle_bin(self, retention_s: float = 15 * 86400, every_s: float = 60) -> int:
        """Remove soft-deleted records older than the retention (at most once per `every_s`)."""
        now = self.clock.now()
        if now - self._last_purge < every_s:
            return 0
        self._last_purge = now
        cutoff = format_datetime(now - retention_s)
        purged = 0
        with self.lock:
            for obj_name, log in self.deleted_log.items():
                table = self.tables.get(obj_name, {})
                for record_id, stamp in log.items():
                    record = table.get(record_id)
                    if record is not None and record.get("IsDeleted") and stamp < cutoff:
                        del table[record_id]
                        self._reindex(obj_name, record, None)
                        purged += 1
        return purged

    def invalidate_indexes(self) -> None:
        self._ext_index.clear()
        self._ref_index.clear()

    def ids_with(self, obj_name: str, field_name: str, value: str) -> set[str]:
        """Ids of records (deleted ones included) whose `field_name` equals `value` exactly."""
        key = (obj_name, field_name)
        with self.lock:
            index = self._ref_index.get(key)
            if index is None:
                index = {}
                for record_id, record in self.tables.get(obj_name, {}).items():
                    found = record.get(field_name)
                    if found is not None:
                        index.setdefault(found, set()).add(record_id)
                self._ref_index[key] = index
            return set(index.get(value, ()))

    # --- external-id / unique index -------------------------------------------------------
    def _index(self, obj_name: str, field_name: str) -> dict[str, str]:
        key = (obj_name, field_name)
        index = self._ext_index.get(key)
        if index is None:
            index = {}
            for record_id, record in self.tables.get(obj_name, {}).items():
                value = record.get(field_name)
                if value is not None:
                    index[str(value).lower()] = record_id
            self._ext_index[key] = index
        return index

    def lookup_unique(self, obj_name: str, field_name: str, value: Any) -> str | None:
        return self._index(obj_name, field_name).get(str(value).lower())

    def _reindex(self, obj_name: str, before: Record | None, after: Record | None) -> None:
        for (indexed_obj, field_name), refs in self._ref_index.items():
            if indexed_obj != obj_name:
                continue
            if before is not None and before.get(field_name) is not None:
                refs.get(before[field_name], set()).discard(before["Id"])
            if after is not None and after.get(field_name) is not None:
                refs.setdefault(after[field_name], set()).add(after["Id"])
        for (indexed_obj, field_name), index in self._ext_index.items():
            if indexed_obj != obj_name:
                continue
            if before is not None and before.get(field_name) is not None:
                index.pop(str(before[field_name]).lower(), None)
            if after is not None and after.get(field_name) is not None:
                index[str(after[field_name]).lower()] = after["Id"]

    # --- commit ---------------------------------------------------------------------------
    def apply(self, staged: list[StagedChange], origin: str, user_id: str) -> Transaction | None:
        """Write staged changes to the tables and notify the sink; returns the transaction."""
        with self.lock:
            now = self.clock.now()
            stamp = format_datetime(now)
            for change in staged:
                table = self.table(change.entity)
                before = table.get(change.record_id)
                if change.after is None:
                    table.pop(change.record_id, None)
                else:
                    table[change.record_id] = change.after
                if change.change_type == "DELETE":
                    self.deleted_log.setdefault(change.entity, {})[change.record_id] = stamp
                elif change.change_type == "UNDELETE":
                    self.deleted_log.get(change.entity, {}).pop(change.record_id, None)
                self._reindex(change.entity, before, change.after)
            transaction = None
            if self.sink is not None:
                transaction = self._transaction(staged, origin, user_id, now)
        if transaction is not None and self.sink is not None:
            self.sink.transaction_committed(transaction)
        return transaction

    def _transaction(
        self, staged: list[StagedChange], origin: str, user_id: str, now: float
    ) -> Transaction | None:
        key = str(uuid.uuid4())
        timestamp_ms = int(now) * 1000
        self.commit_number += 1
        changes = tuple(
            RecordChange(
                entity=c.entity,
                change_type=c.change_type,  # type: ignore[arg-type]
                record_id=c.record_id,
                values=c.values,
                nulled=c.nulled,
                transaction_key=key,
                commit_timestamp_ms=timestamp_ms,
                commit_number=self.commit_number,
                commit_user=user_id,
                change_origin=origin,
                sequence_number=position,
            )
            for position, c in enumerate(staged, start=1)
            if c.entity in self.cdc_entities
        )
        return Transaction(key, changes) if changes else None
