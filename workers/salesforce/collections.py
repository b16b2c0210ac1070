"""sObject Collections request bodies and results (simple-salesforce has no helper for them)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from workers.salesforce.errors import SalesforceRequestError

COLLECTION_LIMIT = 200  # records per POST/PATCH/DELETE request (Salesforce's cap)

Record = dict[str, Any]
T = TypeVar("T")


class CollectionItemError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    status_code: str = Field("UNKNOWN", alias="statusCode")
    message: str = ""
    fields: list[str] = Field(default_factory=list)


class SaveResult(BaseModel):
    """One record's outcome, in input order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | None = None
    success: bool
    errors: list[CollectionItemError] = Field(default_factory=list)
    created: bool | None = None


def chunked(items: Sequence[T], size: int = COLLECTION_LIMIT) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    if size < 1:
        raise ValueError("chunk size must be positive")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def typed_records(sobject: str, records: Sequence[Mapping[str, Any]]) -> list[Record]:
    """Records with the `attributes.type` every collection item needs."""
    return [{"attributes": {"type": sobject}, **record} for record in records]


def collection_body(
    sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool
) -> Record:
    return {"allOrNone": all_or_none, "records": typed_records(sobject, records)}


def parse_results(payload: Any, expected: int) -> list[SaveResult]:
    """Validate a collection reply: a list with one result per input record."""
    if not isinstance(payload, list) or len(payload) != expected:
        got = len(payload) if isinstance(payload, list) else type(payload).__name__
        raise SalesforceRequestError(
            200, "UNEXPECTED_REPLY", f"collection reply has {got} results for {expected} records"
        )
    return [SaveResult.model_validate(item) for item in payload]
