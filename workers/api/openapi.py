"""The OpenAPI 3.1 document of `lawful api`, built from the request/response models.

`workers/api/openapi.json` is the committed copy (`lawful api --write-openapi` rewrites it; a
test fails when it drifts from this builder).
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from workers.api.erasures import REQUEST_ID_PATTERN, STATES
from workers.api.models import (
    AlertsResult,
    ErasureAccepted,
    ErasureCreate,
    ErasureList,
    ErasureView,
    ErrorBody,
    LookupRequest,
    LookupResult,
    Operation,
    OperationRequest,
    PersonView,
    ReplayRequest,
    SearchResult,
)
from workers.projection.query import SearchQuery

REF = "#/components/schemas/{model}"
MODELS = (AlertsResult, ErasureAccepted, ErasureCreate, ErasureList, ErasureView, ErrorBody,
          LookupRequest, LookupResult, Operation, OperationRequest, PersonView,
          ReplayRequest, SearchResult)  # fmt: skip


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


ERRORS = {
    "400": _json("ErrorBody", "A parameter is invalid (the error names it)"),
    "401": _json("ErrorBody", "No or invalid credentials"),
    "403": _json("ErrorBody", "The caller's role does not allow this"),
}


def _search_parameters() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One query parameter per `SearchQuery` field, and the enum schemas they refer to."""
    schema = SearchQuery.model_json_schema(ref_template=REF)
    parameters = [
        {"name": name, "in": "query", "required": False, "schema": prop}
        for name, prop in schema["properties"].items()
    ]
    return parameters, schema.get("$defs", {})


def _operation(summary: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**answers, **ERRORS}, **extra}


def build_spec() -> dict[str, Any]:
    _, components = models_json_schema(
        [(model, "serialization") for model in MODELS], ref_template=REF
    )
    search_parameters, search_defs = _search_parameters()
    id_schema = {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+$", "maxLength": 80}
    person_id = {"name": "individual_id", "in": "path", "required": True, "schema": id_schema}
    paths = {
        "/v1/search": {"get": _operation(
            "Privacy-details search (viewer)", {"200": _json("SearchResult", "One page")},
            parameters=search_parameters)},
        "/v1/persons/{individual_id}": {"get": _operation(
            "A person's permission matrix with per-cell explanations (viewer; access-logged)",
            {"200": _json("PersonView", "The person"), "404": _json("ErrorBody", "Unknown")},
            parameters=[person_id,
                        {"name": "purpose", "in": "query", "schema": {"type": "string"}},
                        {"name": "channel", "in": "query", "schema": {"type": "string"}}])},
        "/v1/alerts": {"get": _operation(
            "Recent alerts, newest first (viewer)", {"200": _json("AlertsResult", "Alerts")},
            parameters=[{"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "individual_id", "in": "query", "schema": {"type": "string"}}])},
        "/v1/lookup": {"post": _operation(
            "Find persons by email or phone given in the body (viewer; access-logged)",
            {"200": _json("LookupResult", "Matching Individual ids")},
            requestBody={"required": True, "content": {"application/json": {
                "schema": _ref("LookupRequest")}}})},
        "/v1/operations/backfill": {"post": _operation(
            "Request a backfill (operator); executed by `lawful bridge`",
            {"202": _json("Operation", "Recorded, queued")},
            requestBody={"required": False, "content": {"application/json": {
                "schema": _ref("OperationRequest")}}})},
        "/v1/operations/replay": {"post": _operation(
            "Re-deliver a channel from a replay id (operator); executed by `lawful bridge`",
            {"202": _json("Operation", "Recorded, queued")},
            requestBody={"required": True, "content": {"application/json": {
                "schema": _ref("ReplayRequest")}}})},
        "/v1/operations/{operation_id}": {"get": _operation(
            "A requested operation (viewer)", {"200": _json("Operation", "The operation")},
            parameters=[{"name": "operation_id", "in": "path", "required": True,
                         "schema": {"type": "string"}}])},
        "/v1/erasures": {
            "get": _operation(
                "Erasure requests, newest first (viewer; access-logged)",
                {"200": _json("ErasureList", "One page")},
                parameters=[
                    {"name": "state", "in": "query",
                     "schema": {"type": "string", "enum": list(STATES)}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                    {"name": "offset", "in": "query",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 100000,
                                "default": 0}}]),
            "post": _operation(
                "Request an erasure (operator); executed by `lawful erase run`",
                {"202": _json("ErasureAccepted", "Submitted"),
                 "409": _json("ErrorBody", "The request id is taken")},
                requestBody={"required": True, "content": {"application/json": {
                    "schema": _ref("ErasureCreate")}}})},
        "/v1/erasures/{request_id}": {"get": _operation(
            "One erasure request: state, due date, counts and history (viewer; access-logged)",
            {"200": _json("ErasureView", "The request"), "404": _json("ErrorBody", "Unknown")},
            parameters=[{"name": "request_id", "in": "path", "required": True,
                         "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN,
                                    "maxLength": 200}}])},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "lawful API", "version": "1"},
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": {**search_defs, **components["$defs"]},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "OIDC token or API key",
                },
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
