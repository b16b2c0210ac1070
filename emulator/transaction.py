"""A unit of work over the store: stage creates/updates/deletes, then commit or roll back."""

from __future__ import annotations

from typing import Any

from emulator import person_accounts
from emulator.changes import Transaction
from emulator.clock import format_datetime
from emulator.errors import ErrorItem
from emulator.schema.model import ObjectDef
from emulator.store import NOT_IN_EVENTS, Record, StagedChange, Store
from emulator.validation import missing_required


class RecordError(Exception):
    """A write was rejected; `items` are the Salesforce errors for that record."""

    def __init__(self, items: list[ErrorItem], status: int = 400) -> None:
        super().__init__("; ".join(i.message for i in items))
        self.items = items
        self.status = status


def _error(code: str, message: str, *fields: str) -> RecordError:
    return RecordError([ErrorItem(code, message, fields)])


class UnitOfWork:
    """Staged changes of one transaction; reads see staged state first."""

    def __init__(self, store: Store, user_id: str, origin: str) -> None:
        self.store = store
        self.user_id = user_id
        self.origin = origin
        self.staged: list[StagedChange] = []
        self._current: dict[str, Record | None] = {}
        self.now = format_datetime(store.clock.now())

    def get(self, obj_name: str, record_id: str) -> Record | None:
        if record_id in self._current:
            return self._current[record_id]
        return self.store.get(obj_name, record_id)

    def _stage(self, change: StagedChange) -> None:
        self.staged.append(change)
        self._current[change.record_id] = change.after

    def require_live(self, obj: ObjectDef, record_id: str) -> Record:
        record = self.get(obj.name, record_id)
        if record is None:
            raise RecordError(
                [ErrorItem("NOT_FOUND", "The requested resource does not exist")], 404
            )
        if record.get("IsDeleted"):
            raise _error("ENTITY_IS_DELETED", "entity is deleted")
        return record

    # --- checks -----------------------------------------------------------------------------
    def _check_references(self, obj: ObjectDef, values: dict[str, Any]) -> list[ErrorItem]:
        errors = []
        for name, value in values.items():
            definition = obj.fields[name]
            if definition.type != "reference" or value is None:
                continue
            target = self.store.schema.by_prefix(value[:3])
            label = definition.label or name
            if target is None or target.name not in definition.reference_to:
                errors.append(
                    ErrorItem(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"{label}: id value of incorrect type: {value}",
                        (name,),
                    )
                )
                continue
            record = self.get(target.name, value)
            if record is None or record.get("IsDeleted"):
                errors.append(
                    ErrorItem(
                        "INVALID_CROSS_REFERENCE_KEY",
                        f"invalid cross reference id {value}",
                        (name,),
                    )
                )
        return errors

    def _check_unique(self, obj: ObjectDef, record: Record) -> list[ErrorItem]:
        errors = []
        for definition in obj.fields.values():
            value = record.get(definition.name)
            if not definition.unique or value is None:
                continue
            holder = self.store.lookup_unique(obj.name, definition.name, value)
            for staged_id, staged in self._current.items():
                if staged is not None and staged_id != record["Id"]:
                    other = staged.get(definition.name)
                    if other is not None and str(other).lower() == str(value).lower():
                        holder = staged_id
            if holder is not None and holder != record["Id"]:
                errors.append(
                    ErrorItem(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {definition.name} duplicates value on record "
                        f"with id: {holder}",
                        (definition.name,),
                    )
                )
        return errors

    # --- derived fields -----------------------------------------------------------------------
    def _derive(self, obj: ObjectDef, record: Record, creating: bool) -> None:
        if obj.name_from_parts or (obj.name == "Account" and record.get("LastName")):
            parts = (record.get("FirstName"), record.get("LastName"))
            record["Name"] = " ".join(p for p in parts if p) or None
            if obj.name == "Account":
                record["IsPersonAccount"] = True
        name_field = obj.fields.get("Name")
        if creating and name_field is not None and name_field.auto_number_format:
            number = self.store.next_auto_number(obj.name)
            fmt = name_field.auto_number_format
            digits = fmt[fmt.index("{") + 1 : fmt.index("}")] if "{" in fmt else "0"
            record["Name"] = fmt.split("{")[0] + str(number).zfill(len(digits))
        if creating and obj.name == "Case":
            record["CaseNumber"] = str(self.store.next_auto_number("Case")).zfill(8)
        if obj.name == "Opportunity":
            stage = record.get("StageName") or ""
            record["IsClosed"] = stage.startswith("Closed")
            record["IsWon"] = stage == "Closed Won"

    # --- operations ---------------------------------------------------------------------------
    def create(self, obj: ObjectDef, values: dict[str, Any]) -> str:
        record_id = self.store.ids.new(obj.key_prefix)
        record: Record = {"Id": record_id}
        for definition in obj.fields.values():
            if definition.defaulted_on_create and definition.default_value is not None:
                record[definition.name] = definition.default_value
        record.update({k: v for k, v in values.items() if v is not None})
        record.update(
            IsDeleted=False,
            CreatedDate=self.now,
            CreatedById=self.user_id,
            LastModifiedDate=self.now,
            LastModifiedById=self.user_id,
            SystemModstamp=self.now,
        )
        if "OwnerId" in obj.fields and not record.get("OwnerId"):
            record["OwnerId"] = self.user_id
        self._derive(obj, record, creating=True)
        self._validate(obj, record, values)
        body = {k: v for k, v in record.items() if k not in NOT_IN_EVENTS and v is not None}
        nulled = tuple(n for n in obj.fields if n not in body and n not in NOT_IN_EVENTS)
        self._stage(StagedChange(obj.name, "CREATE", record_id, body, nulled, record))
        if obj.name == "Account":
            person_accounts.created(self, record)
        return record_id

    def staged_body(self, record_id: str) -> dict[str, Any]:
        """The change-event body of the latest staged change of `record_id`."""
        return next(c.values for c in reversed(self.staged) if c.record_id == record_id)

    def _validate(self, obj: ObjectDef, record: Record, values: dict[str, Any]) -> None:
        errors: list[ErrorItem] = []
        required = missing_required(obj, record)
        if required is not None:
            errors.append(required)
        errors += self._check_references(obj, values)
        errors += self._check_unique(obj, record)
        if errors:
            raise RecordError(errors)

    def update(self, obj: ObjectDef, record_id: str, values: dict[str, Any]) -> None:
        before = self.require_live(obj, record_id)
        record = dict(before)
        record.update(values)
        record.update(LastModifiedDate=self.now, SystemModstamp=self.now)
        record["LastModifiedById"] = self.user_id
        self._derive(obj, record, creating=False)
        self._validate(obj, record, values)
        changed = {k: v for k, v in record.items() if before.get(k) != v and k not in NOT_IN_EVENTS}
        changed["LastModifiedDate"] = self.now
        nulled = tuple(k for k, v in changed.items() if v is None)
        clean = {k: v for k, v in record.items() if v is not None}
        self._stage(StagedChange(obj.name, "UPDATE", record_id, changed, nulled, clean))
        if obj.name == "Account":
            person_accounts.updated(self, clean, list(changed))

    def delete(self, obj: ObjectDef, record_id: str, *, hard: bool = False) -> None:
        record = self.get(obj.name, record_id)
        if record is None:
            raise RecordError(
                [ErrorItem("NOT_FOUND", "The requested resource does not exist")], 404
            )
        if record.get("IsDeleted") and not hard:
            raise _error("ENTITY_IS_DELETED", "entity is deleted")
        after = None if hard else {**record, "IsDeleted": True, "LastModifiedDate": self.now}
        self._stage(StagedChange(obj.name, "DELETE", record_id, {}, (), after))
        if obj.name == "Account":
            person_accounts.deleted(self, record, hard=hard)

    def undelete(self, obj: ObjectDef, record_id: str) -> None:
        record = self.get(obj.name, record_id)
        if record is None or not record.get("IsDeleted"):
            raise _error("UNDELETE_FAILED", "Entity is not in the recycle bin")
        after = {**record, "IsDeleted": False, "LastModifiedDate": self.now}
        body = {k: v for k, v in after.items() if k not in NOT_IN_EVENTS and v is not None}
        self._stage(StagedChange(obj.name, "UNDELETE", record_id, body, (), after))
        if obj.name == "Account":
            person_accounts.deleted(self, record, hard=False, restore=True)

    def commit(self) -> Transaction | None:
        if not self.staged:
            return None
        staged, self.staged = self.staged, []
        self._current.clear()
        return self.store.apply(staged, self.origin, self.user_id)

    def rollback(self) -> None:
        self.staged.clear()
        self._current.clear()
