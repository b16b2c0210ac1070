"""Salesforce error shapes: one exception type carrying status, errorCode, message and fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorItem:
    """One entry of a Salesforce error list."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def rest(self) -> dict[str, Any]:
        """The REST shape (`errorCode`)."""
        return {"message": self.message, "errorCode": self.code, "fields": list(self.fields)}

    def collection(self) -> dict[str, Any]:
        """The sObject Collections / Bulk shape (`statusCode`)."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


@dataclass
class SalesforceError(Exception):
    """An error Salesforce would answer with `status` and a JSON list of `items`."""

    status: int
    items: list[ErrorItem] = field(default_factory=list)

    @classmethod
    def of(
        cls, status: int, code: str, message: str, fields: tuple[str, ...] = ()
    ) -> SalesforceError:
        return cls(status, [ErrorItem(code, message, fields)])

    def body(self) -> list[dict[str, Any]]:
        return [item.rest() for item in self.items]

    def __str__(self) -> str:
        return "; ".join(f"{i.code}: {i.message}" for i in self.items)


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    return SalesforceError.of(404, "NOT_FOUND", message)


def malformed_id(obj_label: str, value: str, field_name: str = "Id") -> SalesforceError:
    return SalesforceError.of(
        400, "MALFORMED_ID", f"{obj_label} ID: id value of incorrect type: {value}", (field_name,)
    )
