"""Typed async REST adapter over simple-salesforce (threads under a concurrency limit).

Every call: budget check -> worker thread -> typed error; 401 INVALID_SESSION_ID -> one re-login;
5xx / REQUEST_LIMIT_EXCEEDED / network -> jittered, bounded retries (stamina).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import requests
import stamina
from prometheus_client import CollectorRegistry
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from workers.salesforce.collections import (
    Record,
    SaveResult,
    chunked,
    collection_body,
    parse_results,
)
from workers.salesforce.credentials import (
    SalesforceCredentials,
    load_credentials,
    merged_settings,
)
from workers.salesforce.errors import (
    SalesforceAuthError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)
from workers.salesforce.limits import ApiBudget, ApiUsage, SalesforceMetrics
from workers.salesforce.rest_errors import translate
from workers.salesforce.session import SalesforceSession, build_http_session, current_op
from workers.settings import SalesforceSettings

T = TypeVar("T")


def _query_more(next_records_url: str) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.query_more(next_records_url, identifier_is_url=True)


class SalesforceRest(Protocol):
    """What the pipeline needs from Salesforce's REST API (a fake implements it in tests)."""

    def query(self, soql: str, *, include_deleted: bool = False) -> AsyncIterator[Record]: ...
    async def query_all(self, soql: str, *, include_deleted: bool = False) -> list[Record]: ...
    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> Record | None: ...
    async def describe(self, sobject: str) -> Record: ...
    async def create(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]: ...
    async def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]: ...
    async def upsert(
        self,
        sobject: str,
        external_id_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[SaveResult]: ...
    async def delete(
        self, ids: Sequence[str], *, all_or_none: bool = False
    ) -> list[SaveResult]: ...


class SimpleSalesforceRest:
    """`SalesforceRest` over simple-salesforce; build it with `from_settings`."""

    def __init__(
        self,
        session: SalesforceSession,
        *,
        budget: ApiBudget,
        metrics: SalesforceMetrics,
        max_concurrency: int = 4,
        retry_attempts: int = 5,
        retry_wait_max: float = 30.0,
    ) -> None:
        self._session = session
        self.budget = budget
        self.metrics = metrics
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._retry_attempts = retry_attempts
        self._retry_wait_max = retry_wait_max
        self._describes: dict[str, Record] = {}

    @classmethod
    def from_settings(
        cls,
        settings: SalesforceSettings,
        credentials: SalesforceCredentials | None = None,
        *,
        registry: CollectorRegistry | None = None,
    ) -> SimpleSalesforceRest:
        """Wire the adapter; credentials default to `load_credentials(settings)`."""
        if credentials is None:
            credentials = load_credentials(settings)
        settings = merged_settings(settings)  # e.g. api_version from the credentials file
        metrics = SalesforceMetrics(registry)
        budget = ApiBudget(settings.api_budget_share, metrics)
        http = build_http_session(
            credentials,
            timeout=settings.request_timeout,
            client_name=settings.call_options_client,
            budget=budget,
            metrics=metrics,
        )
        return cls(
            SalesforceSession(credentials, http, api_version=settings.api_version),
            budget=budget,
            metrics=metrics,
            max_concurrency=settings.max_concurrency,
            retry_attempts=settings.retry_attempts,
            retry_wait_max=settings.retry_wait_max,
        )

    @property
    def api_usage(self) -> ApiUsage | None:
        return self.budget.usage

    def close(self) -> None:
        self._session.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _run(self, op: str, call: Callable[[Salesforce], T], client: Salesforce) -> T:
        current_op.set(op)  # labels the response hook's metrics; the context is per thread call
        try:
            return call(client)
        except SalesforceExpiredSession:
            raise
        except requests.RequestException as exc:  # no response: the hook did not count it
            self.metrics.requests.labels(op=op, status="error").inc()
            raise translate(exc) from exc
        except SalesforceError as exc:
            raise translate(exc) from exc

    async def _in_thread(self, op: str, call: Callable[[Salesforce], T], client: Salesforce) -> T:
        self.budget.acquire()
        try:
            async with self._semaphore:
                return await asyncio.to_thread(self._run, op, call, client)
        finally:
            self.budget.release()

    async def _once(self, op: str, call: Callable[[Salesforce], T]) -> T:
        client = await self._session.client()
        try:
            return await self._in_thread(op, call, client)
        except SalesforceExpiredSession:
            client = await self._session.relogin(client)
        try:
            return await self._in_thread(op, call, client)
        except SalesforceExpiredSession as exc:
            raise SalesforceAuthError("INVALID_SESSION_ID", "rejected after re-login") from exc

    async def _call(self, op: str, call: Callable[[Salesforce], T]) -> T:
        async for attempt in stamina.retry_context(
            on=SalesforceUnavailableError,
            attempts=self._retry_attempts,
            timeout=None,
            wait_initial=0.5,
            wait_max=self._retry_wait_max,
        ):
            with attempt:
                return await self._once(op, call)
        raise AssertionError("unreachable: stamina re-raises the last failure")

    # -- reads ----------------------------------------------------------------------------------

    async def query(self, soql: str, *, include_deleted: bool = False) -> AsyncIterator[Record]:
        """Records of `soql`, page by page (follows `nextRecordsUrl`); queryAll if asked."""
        page: Record = await self._call(
            "query", lambda sf: sf.query(soql, include_deleted=include_deleted)
        )
        while True:
            for record in page.get("records", []):
                yield record
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = await self._call("query_more", _query_more(str(page["nextRecordsUrl"])))

    async def query_all(self, soql: str, *, include_deleted: bool = False) -> list[Record]:
        return [record async for record in self.query(soql, include_deleted=include_deleted)]

    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> Record | None:
        """The record, or None when it does not exist or is deleted."""
        params = {"fields": ",".join(fields)} if fields else None
        try:
            result = await self._call(
                "get", lambda sf: sf.restful(f"sobjects/{sobject}/{record_id}", params=params)
            )
        except SalesforceRequestError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(result) if isinstance(result, Mapping) else None

    async def describe(self, sobject: str) -> Record:
        """`sobjects/<type>/describe`, cached for the adapter's lifetime."""
        cached = self._describes.get(sobject)
        if cached is None:
            result = await self._call(
                "describe", lambda sf: sf.restful(f"sobjects/{sobject}/describe")
            )
            cached = dict(result) if isinstance(result, Mapping) else {}
            self._describes[sobject] = cached
        return cached

    # -- sObject Collections (chunks of 200) ---------------------------------------------------

    async def _collection(
        self,
        op: str,
        method: str,
        path: str,
        *,
        body: Record | None = None,
        params: Any = None,
        expected: int,
    ) -> list[SaveResult]:
        payload = await self._call(
            op, lambda sf: sf.restful(path, params=params, method=method, json=body)
        )
        return parse_results(payload, expected)

    async def create(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        results: list[SaveResult] = []
        for chunk in chunked(records):
            body = collection_body(sobject, chunk, all_or_none=all_or_none)
            results += await self._collection(
                "create", "POST", "composite/sobjects", body=body, expected=len(chunk)
            )
        return results

    async def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        if any("Id" not in record for record in records):
            raise SalesforceRequestError(400, "MISSING_ID", "every updated record needs an Id")
        results: list[SaveResult] = []
        for chunk in chunked(records):
            body = collection_body(sobject, chunk, all_or_none=all_or_none)
            results += await self._collection(
                "update", "PATCH", "composite/sobjects", body=body, expected=len(chunk)
            )
        return results

    async def upsert(
        self,
        sobject: str,
        external_id_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[SaveResult]:
        path = f"composite/sobjects/{sobject}/{external_id_field}"
        results: list[SaveResult] = []
        for chunk in chunked(records):
            body = collection_body(sobject, chunk, all_or_none=all_or_none)
            results += await self._collection(
                "upsert", "PATCH", path, body=body, expected=len(chunk)
            )
        return results

    async def delete(self, ids: Sequence[str], *, all_or_none: bool = False) -> list[SaveResult]:
        results: list[SaveResult] = []
        for chunk in chunked(ids):
            params = {"ids": ",".join(chunk), "allOrNone": str(all_or_none).lower()}
            results += await self._collection(
                "delete", "DELETE", "composite/sobjects", params=params, expected=len(chunk)
            )
        return results
