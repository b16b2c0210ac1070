"""`query` / `queryAll` with `nextRecordsUrl` paging through stored query locators."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from emulator.errors import SalesforceError
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.soql.parser import SoqlError
from emulator.soql.run import run_query

MAX_CURSORS = 200


@dataclass
class Cursor:
    rows: list[dict[str, Any]]
    page_size: int


class Cursors:
    """Open query locators (least recently used are dropped first)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, cursor: Cursor) -> str:
        locator = "01g5g" + secrets.token_hex(5).upper()[:10] + "AAA"
        with self._lock:
            self._items[locator] = cursor
            while len(self._items) > MAX_CURSORS:
                self._items.popitem(last=False)
        return locator

    def get(self, locator: str) -> Cursor | None:
        with self._lock:
            return self._items.get(locator)


def _page_size(request: RestRequest) -> int:
    size = request.org.config.query_page_size
    for option in request.headers.get("sforce-query-options", "").split(","):
        key, _, value = option.strip().partition("=")
        if key.lower() == "batchsize" and value.isdigit():
            size = max(200, min(2000, int(value)))
    return size


def _page(request: RestRequest, locator: str, cursor: Cursor, offset: int) -> dict[str, Any]:
    end = offset + cursor.page_size
    body: dict[str, Any] = {
        "totalSize": len(cursor.rows),
        "done": end >= len(cursor.rows),
        "records": cursor.rows[offset:end],
    }
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{request.version}/query/{locator}-{end}"
    return body


def query_handler(request: RestRequest, cursors: Cursors, *, include_deleted: bool) -> RestResponse:
    if len(request.parts) > 1:
        return next_page(request, cursors, request.parts[1])
    text = request.query.get("q")
    if not text:
        raise SalesforceError.of(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        result = run_query(
            request.org.store,
            text,
            request.version,
            request.org.clock.datetime(),
            include_deleted=include_deleted,
        )
    except SoqlError as error:
        raise SalesforceError.of(400, error.code, str(error)) from None
    if not result.rows:
        return ok({"totalSize": result.total_size, "done": True, "records": []})
    cursor = Cursor(result.rows, _page_size(request))
    if len(result.rows) <= cursor.page_size:
        return ok({"totalSize": result.total_size, "done": True, "records": result.rows})
    return ok(_page(request, cursors.open(cursor), cursor, 0))


def next_page(request: RestRequest, cursors: Cursors, token: str) -> RestResponse:
    locator, _, offset_text = token.rpartition("-")
    cursor = cursors.get(locator)
    if cursor is None or not offset_text.isdigit():
        raise SalesforceError.of(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return ok(_page(request, locator, cursor, int(offset_text)))
