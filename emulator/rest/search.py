"""A small SOSL subset for `search/?q=`: FIND {term} [IN ... FIELDS] [RETURNING Obj(fields)]."""

from __future__ import annotations

import re
from typing import Any

from emulator.errors import SalesforceError
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.rest.records import attributes
from emulator.schema.model import ObjectDef
from emulator.store import Record

_FIND = re.compile(
    r"^\s*FIND\s+\{(?P<term>[^}]*)\}\s*(?:IN\s+(?P<scope>ALL|NAME|EMAIL|PHONE)\s+FIELDS)?\s*"
    r"(?:RETURNING\s+(?P<returning>.+?))?\s*(?:LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TARGET = re.compile(r"\s*(?P<obj>\w+)\s*(?:\((?P<fields>[^)]*)\))?\s*(?:,|$)")
DEFAULT_OBJECTS = ("Contact", "Lead", "Account", "Individual")
SCOPE_TYPES = {"NAME": {"string"}, "EMAIL": {"email"}, "PHONE": {"phone"}}


def _malformed(message: str) -> SalesforceError:
    return SalesforceError.of(400, "MALFORMED_SEARCH", message)


def _targets(request: RestRequest, returning: str | None) -> list[tuple[ObjectDef, list[str]]]:
    if not returning:
        return [(request.org.object(name), ["Id"]) for name in DEFAULT_OBJECTS]
    targets = []
    for match in _TARGET.finditer(returning):
        if not match.group("obj"):
            continue
        obj = request.org.schema.get(match.group("obj"))
        if obj is None or obj.is_event:
            raise SalesforceError.of(
                400, "INVALID_TYPE", f"sObject type '{match.group('obj')}' is not supported."
            )
        names = [f.strip() for f in (match.group("fields") or "Id").split(",") if f.strip()]
        fields = []
        for name in names:
            definition = obj.field(name)
            if definition is None:
                raise SalesforceError.of(
                    400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'"
                )
            fields.append(definition.name)
        targets.append((obj, fields))
    return targets


def _matches(obj: ObjectDef, record: Record, words: list[re.Pattern[str]], scope: str) -> bool:
    kinds = SCOPE_TYPES.get(scope, {"string", "email", "phone", "textarea"})
    texts = [str(record[n]) for n, d in obj.fields.items() if d.type in kinds and record.get(n)]
    if scope == "NAME":
        texts = [str(record[n]) for n in ("Name", "FirstName", "LastName") if record.get(n)]
    return all(any(word.search(text) for text in texts) for word in words)


def search_handler(request: RestRequest) -> RestResponse:
    match = _FIND.match(request.query.get("q", ""))
    if match is None:
        raise _malformed("Search query must start with FIND {term}")
    raw_words = [w for w in re.split(r"\s+", match.group("term").strip()) if w]
    if not raw_words or any(len(w.strip("*?")) < 2 for w in raw_words):
        raise _malformed("search term must be longer than one character")
    words = [
        re.compile(re.escape(w).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
        for w in raw_words
    ]
    scope = (match.group("scope") or "ALL").upper()
    limit = int(match.group("limit") or 2000)
    found: list[dict[str, Any]] = []
    for obj, fields in _targets(request, match.group("returning")):
        for record in request.org.store.live(obj.name):
            if len(found) >= limit:
                break
            if _matches(obj, record, words, scope):
                row: dict[str, Any] = {
                    "attributes": attributes(request.version, obj.name, record["Id"])
                }
                row.update({name: record.get(name) for name in fields})
                found.append(row)
    return ok({"searchRecords": found})
