"""Route a REST call (method + path parts) to its handler; tolerant of trailing slashes."""

from __future__ import annotations

from emulator.errors import SalesforceError, not_found
from emulator.rest import sobjects
from emulator.rest.bulk import BulkJobs, bulk_handler
from emulator.rest.collections import collections_handler
from emulator.rest.composite import composite_handler
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.rest.describe import describe_handler, global_handler, metadata_handler, resources
from emulator.rest.events import publish_event
from emulator.rest.limits_api import limits_handler
from emulator.rest.query import Cursors, query_handler
from emulator.rest.search import search_handler
from emulator.schema.model import ObjectDef


class RestApi:
    """Per-server REST state (query cursors, bulk jobs) and the dispatcher."""

    def __init__(self) -> None:
        self.cursors = Cursors()
        self.bulk = BulkJobs()

    def dispatch(self, request: RestRequest) -> RestResponse:
        request.org.store.purge_recycle_bin()
        parts = request.parts
        head = parts[0] if parts else ""
        if not parts:
            return ok(resources(request.version))
        if head == "sobjects":
            return self._sobjects(request)
        if head in ("query", "queryAll"):
            _only(request, "GET")
            return query_handler(request, self.cursors, include_deleted=head == "queryAll")
        if head == "limits":
            _only(request, "GET")
            return limits_handler(request)
        if head == "composite":
            if len(parts) == 1:
                _only(request, "POST")
                return composite_handler(request, self)
            if parts[1] == "sobjects":
                return collections_handler(request)
        if head == "jobs" and len(parts) >= 2 and parts[1] == "ingest":
            return bulk_handler(request, self.bulk)
        if head == "search":
            _only(request, "GET")
            return search_handler(request)
        if head == "consent":
            from emulator.rest.consent import consent_handler  # noqa: PLC0415 - optional API

            return consent_handler(request)
        raise not_found()

    def _sobjects(self, request: RestRequest) -> RestResponse:
        parts = request.parts
        if len(parts) == 1:
            _only(request, "GET")
            return global_handler(request)
        obj = sobjects.object_or_404(request, parts[1])
        if len(parts) == 2:
            if request.method == "POST":
                payload = request.json_object()
                if obj.is_event:
                    return publish_event(request, obj, payload)
                return sobjects.create_record(request, obj, payload)
            _only(request, "GET")
            return metadata_handler(request, obj)
        if obj.is_event:
            raise not_found()
        third = parts[2]
        if len(parts) == 3:
            if third == "describe":
                _only(request, "GET")
                return describe_handler(request, obj)
            if third in ("deleted", "updated"):
                _only(request, "GET")
                if third == "deleted":
                    return sobjects.deleted_list(request, obj)
                return sobjects.updated_list(request, obj)
            return sobjects.handle_record(request, obj, third)
        if len(parts) == 4:
            return _by_external_id(request, obj, third, parts[3])
        raise not_found()


def _by_external_id(request: RestRequest, obj: ObjectDef, field: str, value: str) -> RestResponse:
    field_name = sobjects.external_field(obj, field)
    if request.method == "GET":
        return sobjects.get_by_external(request, obj, field_name, value)
    if request.method in ("PATCH", "POST"):
        return sobjects.upsert_record(request, obj, field_name, value)
    if request.method == "DELETE":
        ids = sobjects.matching_ids(request.org.unit_of_work(), obj, field_name, value)
        if not ids:
            raise not_found()
        return sobjects.delete_record(request, obj, ids[0])
    raise not_found()


def _only(request: RestRequest, *methods: str) -> None:
    if request.method not in methods:
        raise SalesforceError.of(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(methods)}",
        )
