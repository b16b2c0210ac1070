"""The emulated org: schema, records, users, sessions, limits and faults behind one object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.auth import ConnectedApp, SessionStore, UserAccount
from emulator.changes import ChangeSink, EventPublisher
from emulator.clock import Clock, format_datetime
from emulator.config import OrgConfig
from emulator.errors import ErrorItem
from emulator.faults import RestFaults
from emulator.ids import IdFactory, to18
from emulator.limits import ApiUsage
from emulator.schema.model import ObjectDef
from emulator.schema.org_schema import build_schema
from emulator.store import Record, Store
from emulator.transaction import RecordError, UnitOfWork
from emulator.validation import coerce_payload


class Org:
    """One in-memory Salesforce org. Thread-safe enough for one server thread plus tests."""

    def __init__(
        self,
        config: OrgConfig | None = None,
        *,
        clock: Clock | None = None,
        sink: ChangeSink | None = None,
        publisher: EventPublisher | None = None,
        app: ConnectedApp | None = None,
    ) -> None:
        self.config = config or OrgConfig()
        self.clock = clock or Clock()
        self.schema = build_schema(self.config.metadata_dir)
        cdc = self.config.cdc_entities
        self.store = Store(
            self.schema,
            self.clock,
            ids=IdFactory(),
            sink=sink,
            cdc_entities=set(cdc) if cdc is not None else set(self.schema.cdc_entities()),
        )
        self.publisher = publisher
        self.app = app or ConnectedApp.generate()
        self.sessions = SessionStore(self.config.org_id, self.clock, self.config.token_ttl_s)
        self.api_usage = ApiUsage(self.clock, self.config.daily_api_limit)
        self.faults = RestFaults()
        self.instance_url = "https://localhost"
        self.http_url: str | None = None  # plain-HTTP listener, when the server has one
        self.users: dict[str, UserAccount] = {}
        # (used, max) of the streaming delivery allocation, reported by /limits when wired.
        self.delivery_usage: Callable[[], tuple[int, int]] | None = None
        self.integration_user = self._bootstrap_user()

    # --- identity -----------------------------------------------------------------------------
    def _bootstrap_user(self) -> UserAccount:
        user_id = to18("005" + "5g" + "0" + "00000000B7cRz"[:9])
        now = format_datetime(self.clock.now())
        self.store.table("User")[user_id] = {
            "Id": user_id,
            "Username": self.config.username,
            "Email": self.config.username,
            "FirstName": self.config.user_first_name,
            "LastName": self.config.user_last_name,
            "Name": f"{self.config.user_first_name} {self.config.user_last_name}",
            "Alias": "lawful",
            "IsActive": True,
            "IsDeleted": False,
            "CreatedDate": now,
            "CreatedById": user_id,
            "LastModifiedDate": now,
            "LastModifiedById": user_id,
            "SystemModstamp": now,
            "TimeZoneSidKey": "Europe/London",
        }
        account = UserAccount(
            user_id, self.config.username, self.config.password, self.config.security_token
        )
        self.users[account.username.lower()] = account
        return account

    def identity_url(self, user_id: str) -> str:
        return f"https://login.salesforce.com/id/{self.config.org_id}/{user_id}"

    def attach(
        self, *, sink: ChangeSink | None = None, publisher: EventPublisher | None = None
    ) -> None:
        if sink is not None:
            self.store.sink = sink
        if publisher is not None:
            self.publisher = publisher

    # --- writes for code and tests ----------------------------------------------------------------
    def object(self, name: str) -> ObjectDef:
        obj = self.schema.get(name)
        if obj is None:
            raise KeyError(f"unknown sObject type {name}")
        return obj

    def unit_of_work(self, origin: str | None = None, user_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(
            self.store,
            user_id or self.integration_user.user_id,
            origin if origin is not None else "",
        )

    def create(self, obj_name: str, values: dict[str, Any]) -> str:
        """Create one record (as Apex would: validated, CDC with an empty changeOrigin)."""
        obj = self.object(obj_name)
        coerced, errors = coerce_payload(obj, values, creating=True)
        if errors:
            raise RecordError(errors)
        work = self.unit_of_work()
        record_id = work.create(obj, coerced)
        work.commit()
        return record_id

    def update(self, obj_name: str, record_id: str, values: dict[str, Any]) -> None:
        obj = self.object(obj_name)
        coerced, errors = coerce_payload(obj, values, creating=False)
        if errors:
            raise RecordError(errors)
        work = self.unit_of_work()
        work.update(obj, to18(record_id), coerced)
        work.commit()

    def delete(self, obj_name: str, record_id: str, *, hard: bool = False) -> None:
        work = self.unit_of_work()
        work.delete(self.object(obj_name), to18(record_id), hard=hard)
        work.commit()

    def undelete(self, obj_name: str, record_id: str) -> None:
        work = self.unit_of_work()
        work.undelete(self.object(obj_name), to18(record_id))
        work.commit()

    def get(self, obj_name: str, record_id: str) -> Record | None:
        return self.store.get(self.object(obj_name).name, to18(record_id))

    def count(self, obj_name: str, *, include_deleted: bool = False) -> int:
        table = self.store.tables.get(self.object(obj_name).name, {})
        if include_deleted:
            return len(table)
        return sum(1 for r in table.values() if not r.get("IsDeleted"))

    # --- faults ---------------------------------------------------------------------------------
    def revoke_tokens(self) -> int:
        """Invalidate every access token (next REST call answers 401 INVALID_SESSION_ID)."""
        return self.sessions.revoke()

    def exhaust_api(self) -> None:
        self.api_usage.exhaust()

    def reset_faults(self) -> None:
        self.faults.reset()
        self.api_usage.reset()


__all__ = ["ErrorItem", "Org", "RecordError"]
