"""Read whole objects through the REST adapter: every field, SOQL pages of `page_size` records,
the next page fetched while the current one is being produced."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from simple_salesforce.api import Salesforce

from workers.salesforce.rest import SimpleSalesforceRest

COMPOUND_TYPES = frozenset({"address", "location"})  # REST renders them; components suffice
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def api_name(name: str) -> str:
    """`name` if it is a valid Salesforce API name (nothing else goes into SOQL)."""
    if not _API_NAME.match(name):
        raise ValueError(f"not a Salesforce API name: {name!r}")
    return name


@dataclass(frozen=True)
class Page:
    entity: str
    records: list[dict[str, Any]]
    total: int
    last: bool = True  # the query is done: no locator left open for it


def soql_datetime(moment: datetime) -> str:
    """A SOQL DateTime literal (unquoted, UTC): 2026-11-29T10:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def select_all(rest: SimpleSalesforceRest, entity: str, since: datetime | None) -> str:
    """`SELECT <every field> FROM <entity> [WHERE LastModifiedDate >= since]`."""
    describe = await rest.describe(entity)
    fields: Sequence[dict[str, Any]] = describe.get("fields", [])
    names = [api_name(str(f["name"])) for f in fields if f.get("type") not in COMPOUND_TYPES]
    soql = f"SELECT {', '.join(names)} FROM {api_name(entity)}"  # noqa: S608 - API names only
    if since is not None:
        soql += f" WHERE LastModifiedDate >= {soql_datetime(since)}"
    return soql


async def pages(
    rest: SimpleSalesforceRest, entity: str, *, since: datetime | None, page_size: int
) -> AsyncGenerator[Page, None]:
    """Every live record of `entity` (optionally modified since `since`), page by page."""
    soql = await select_all(rest, entity, since)
    headers = {"Sforce-Query-Options": f"batchSize={page_size}"}
    # The adapter's `_call` gives budget, retries and re-login; `query()` hides totalSize.
    page: dict[str, Any] = await rest._call("query", _first(soql, headers))
    total = int(page.get("totalSize", 0))
    while True:
        following: asyncio.Task[dict[str, Any]] | None = None
        url = page.get("nextRecordsUrl")
        if not page.get("done", True) and url:
            following = asyncio.create_task(rest._call("query_more", _more(str(url), headers)))
        try:
            yield Page(entity, list(page.get("records", [])), total, last=following is None)
        except BaseException:
            if following is not None:
                following.cancel()
            raise
        if following is None:
            return
        page = await following


def _get_json(sf: Salesforce, url: str, **kwargs: Any) -> Any:
    """GET through simple-salesforce's error handling, parsed with orjson (2x its json)."""
    response = sf._call_salesforce("GET", url, name="query", **kwargs)
    return orjson.loads(response.content)


def _first(soql: str, headers: dict[str, str]) -> Callable[[Salesforce], Any]:
    return lambda sf: _get_json(sf, f"{sf.base_url}query/", params={"q": soql}, headers=headers)


def _more(url: str, headers: dict[str, str]) -> Callable[[Salesforce], Any]:
    return lambda sf: _get_json(sf, f"https://{sf.sf_instance}{url}", headers=headers)
