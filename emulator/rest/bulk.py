"""Bulk API 2.0 ingest jobs for delete and hardDelete (CSV with a single Id column)."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from typing import Any

from emulator.clock import format_datetime
from emulator.errors import SalesforceError, not_found
from emulator.ids import normalise
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.transaction import RecordError

OPERATIONS = ("delete", "hardDelete")


@dataclass
class BulkJob:
    id: str
    operation: str
    object: str
    created: str
    user_id: str
    version: str
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    state: str = "Open"
    data: list[str] = field(default_factory=list)
    successes: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    error_message: str | None = None

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.user_id,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{self.version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
            "numberRecordsProcessed": len(self.successes) + len(self.failures),
            "numberRecordsFailed": len(self.failures),
            "retries": 0,
            "totalProcessingTime": 0,
            "errorMessage": self.error_message,
        }


class BulkJobs:
    def __init__(self) -> None:
        self.jobs: dict[str, BulkJob] = {}
        self.lock = threading.Lock()


def _create(request: RestRequest, jobs: BulkJobs) -> RestResponse:
    body = request.json_object()
    operation = body.get("operation")
    obj = request.org.schema.get(str(body.get("object", "")))
    if operation not in OPERATIONS:
        raise SalesforceError.of(
            400,
            "FEATURENOTENABLED",
            f"The emulator supports only {', '.join(OPERATIONS)} ingest jobs",
        )
    if obj is None or obj.is_event:
        raise SalesforceError.of(
            400, "INVALIDJOB", f"InvalidJob : Invalid object: {body.get('object')}"
        )
    job = BulkJob(
        id=request.org.store.ids.new("750"),
        operation=str(operation),
        object=obj.name,
        created=format_datetime(request.org.clock.now()),
        user_id=request.session.user_id,
        version=request.version,
        line_ending=str(body.get("lineEnding", "LF")),
        column_delimiter=str(body.get("columnDelimiter", "COMMA")),
    )
    with jobs.lock:
        jobs.jobs[job.id] = job
    return ok(job.info())


def _run(request: RestRequest, job: BulkJob) -> None:
    obj = request.org.object(job.object)
    rows = list(csv.reader(io.StringIO("\n".join(job.data))))
    header = rows[0] if rows else []
    if [h.strip() for h in header] != ["Id"]:
        job.state, job.error_message = (
            "Failed",
            "InvalidBatch : The 'delete' batch must contain only ids",
        )
        return
    work = request.org.unit_of_work(f"com/salesforce/api/bulkapi/{job.version}", job.user_id)
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        raw = row[0].strip()
        record_id = normalise(raw)
        if record_id is None or record_id[:3] != obj.key_prefix:
            job.failures.append((raw, "MALFORMED_ID:bad id " + raw + ":--"))
            continue
        try:
            work.delete(obj, record_id, hard=job.operation == "hardDelete")
        except RecordError as error:
            first = error.items[0]
            code = "ENTITY_IS_DELETED" if first.code == "NOT_FOUND" else first.code
            job.failures.append((record_id, f"{code}:{first.message}:--"))
            continue
        job.successes.append(record_id)
    work.commit()
    job.state = "JobComplete"


def _results(job: BulkJob, kind: str) -> RestResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    if kind == "successfulResults":
        writer.writerow(["sf__Id", "sf__Created", "Id"])
        writer.writerows([i, "false", i] for i in job.successes)
    elif kind == "failedResults":
        writer.writerow(["sf__Id", "sf__Error", "Id"])
        writer.writerows(["", error, i] for i, error in job.failures)
    else:
        writer.writerow(["Id"])
    return RestResponse(200, out.getvalue(), "text/csv")


def _job(request: RestRequest, jobs: BulkJobs, job: BulkJob) -> RestResponse:
    if request.method == "DELETE":
        jobs.jobs.pop(job.id, None)
        return RestResponse(204)
    if request.method == "PATCH":
        state = request.json_object().get("state")
        if state == "UploadComplete" and job.state == "Open":
            job.state = "UploadComplete"
            _run(request, job)
        elif state == "Aborted" and job.state in ("Open", "UploadComplete"):
            job.state = "Aborted"
        else:
            raise SalesforceError.of(400, "INVALIDJOBSTATE", f"Invalid job state: {state}")
    return ok(job.info())


def bulk_handler(request: RestRequest, jobs: BulkJobs) -> RestResponse:
    parts, method = request.parts, request.method
    if len(parts) == 2:
        if method == "POST":
            return _create(request, jobs)
        return ok(
            {
                "done": True,
                "records": [j.info() for j in jobs.jobs.values()],
                "nextRecordsUrl": None,
            }
        )
    job = jobs.jobs.get(normalise(parts[2]) or "")
    if job is None:
        raise not_found("The requested resource does not exist")
    if len(parts) == 3:
        return _job(request, jobs, job)
    if parts[3] == "batches" and method == "PUT":
        if job.state != "Open":
            raise SalesforceError.of(409, "INVALIDJOBSTATE", "Job is not open for uploads")
        text = request.body.decode("utf-8").replace("\r\n", "\n").rstrip("\n")
        if job.data:  # later batches repeat the header line
            text = text.partition("\n")[2]
        job.data.append(text)
        return RestResponse(201)
    if (
        parts[3]
        in ("successfulResults", "failedResults", "unprocessedrecords", "unprocessedRecords")
        and method == "GET"
    ):
        return _results(job, parts[3])
    raise not_found()
