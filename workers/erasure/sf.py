"""Salesforce calls of the erasure executor: composite reads, mixed-type collections, Bulk 2.0.

Built on the REST adapter's retried, budgeted `_call` (one re-login on expiry, jittered retries
on 5xx/REQUEST_LIMIT_EXCEEDED).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from workers.salesforce.collections import SaveResult, chunked, parse_results
from workers.salesforce.errors import SalesforceRequestError, SalesforceUnavailableError
from workers.salesforce.rest import SimpleSalesforceRest

COMPOSITE_LIMIT = 25
DONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"})


class ErasureSalesforce:
    """The few REST shapes erasure needs, counted in `calls`."""

    def __init__(self, rest: SimpleSalesforceRest) -> None:
        self.rest = rest
        self.calls = 0
        self._version = ""

    def recheck_budget(self) -> None:
        """Forget the last usage seen: the next call asks Salesforce again (after a cool-down)."""
        self.rest.budget.forget()

    async def _restful(self, op: str, path: str, **kwargs: Any) -> Any:
        self.calls += 1
        return await self.rest._call(op, lambda sf: sf.restful(path, **kwargs))

    async def _base(self) -> str:
        if not self._version:
            client = await self.rest._session.client()
            self._version = str(client.sf_version)
        return f"/services/data/v{self._version}"

    async def composite_get(self, paths: Mapping[str, str]) -> dict[str, tuple[int, Any]]:
        """GET many resources (25 per call): reference -> (status, body)."""
        base = await self._base()
        results: dict[str, tuple[int, Any]] = {}
        items = list(paths.items())
        for chunk in chunked(items, COMPOSITE_LIMIT):
            body = {
                "allOrNone": False,
                "compositeRequest": [
                    {"method": "GET", "url": f"{base}/{path}", "referenceId": ref}
                    for ref, path in chunk
                ],
            }
            answer = await self._restful("composite", "composite", method="POST", json=body)
            for sub in (answer or {}).get("compositeResponse", []):
                results[str(sub["referenceId"])] = (int(sub["httpStatusCode"]), sub.get("body"))
        return results

    async def query_more(self, next_url: str) -> Any:
        self.calls += 1
        return await self.rest._call(
            "query_more", lambda sf: sf.query_more(next_url, identifier_is_url=True)
        )

    async def update_mixed(self, records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
        """PATCH composite/sobjects with records of several types (each has attributes.type)."""
        body = {"allOrNone": False, "records": list(records)}
        payload = await self._restful("update", "composite/sobjects", method="PATCH", json=body)
        return parse_results(payload, len(records))

    async def mask_then_delete(
        self, records: Sequence[Mapping[str, Any]], ids: Sequence[str]
    ) -> tuple[list[SaveResult], list[SaveResult]]:
        """Small graphs: the masks (PATCH) and deletes (DELETE) as one composite call, in order."""
        base = await self._base()
        requests: list[dict[str, Any]] = []
        if records:
            requests.append(
                {
                    "method": "PATCH",
                    "url": f"{base}/composite/sobjects",
                    "referenceId": "masks",
                    "body": {"allOrNone": False, "records": list(records)},
                }
            )
        if ids:
            query = urlencode({"ids": ",".join(ids), "allOrNone": "false"})
            requests.append(
                {
                    "method": "DELETE",
                    "url": f"{base}/composite/sobjects?{query}",
                    "referenceId": "deletes",
                }
            )
        answer = await self._restful(
            "composite",
            "composite",
            method="POST",
            json={"allOrNone": False, "compositeRequest": requests},
        )
        bodies = {str(s["referenceId"]): s for s in (answer or {}).get("compositeResponse", [])}
        return (
            _sub_results(bodies.get("masks"), len(records)),
            _sub_results(bodies.get("deletes"), len(ids)),
        )

    async def delete_ids(self, ids: Sequence[str]) -> list[SaveResult]:
        params = {"ids": ",".join(ids), "allOrNone": "false"}
        payload = await self._restful(
            "delete", "composite/sobjects", method="DELETE", params=params
        )
        return parse_results(payload, len(ids))

    async def bulk_hard_delete(self, sobject: str, ids: Sequence[str]) -> list[tuple[str, str]]:
        """Bulk API 2.0 hardDelete: (id, error) of the failed rows (empty when all succeeded)."""
        job = await self._restful(
            "bulk",
            "jobs/ingest",
            method="POST",
            json={
                "operation": "hardDelete",
                "object": sobject,
                "contentType": "CSV",
                "lineEnding": "LF",
                "columnDelimiter": "COMMA",
            },
        )
        job_id = str(job["id"])
        data = "Id\n" + "\n".join(ids) + "\n"
        self.calls += 1
        await self.rest._call(
            "bulk",
            lambda sf: sf._call_salesforce(
                "PUT",
                f"{sf.base_url}jobs/ingest/{job_id}/batches",
                data=data.encode(),
                headers={"Content-Type": "text/csv"},
            ),
        )
        info = await self._restful(
            "bulk", f"jobs/ingest/{job_id}", method="PATCH", json={"state": "UploadComplete"}
        )
        if info.get("state") != "JobComplete" or int(info.get("numberRecordsFailed") or 0):
            return await self._bulk_failures(job_id, info)
        return []

    async def _bulk_failures(self, job_id: str, info: Mapping[str, Any]) -> list[tuple[str, str]]:
        if info.get("state") in ("Failed", "Aborted"):
            raise SalesforceRequestError(400, "BULK_JOB_FAILED", str(info.get("errorMessage")))
        self.calls += 1
        response = await self.rest._call(
            "bulk",
            lambda sf: sf._call_salesforce(
                "GET", f"{sf.base_url}jobs/ingest/{job_id}/failedResults"
            ),
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        return [(row.get("Id", ""), row.get("sf__Error", "")) for row in rows]


def _sub_results(sub: Mapping[str, Any] | None, expected: int) -> list[SaveResult]:
    if expected == 0:
        return []
    if sub is None or int(sub.get("httpStatusCode", 500)) >= 300:
        body = None if sub is None else sub.get("body")
        raise SalesforceUnavailableError(f"composite subrequest failed: {str(body)[:300]}")
    return parse_results(sub.get("body"), expected)


def failed(results: Sequence[SaveResult], ids: Sequence[str]) -> list[tuple[str, str]]:
    """(id, code) of real failures; already deleted or missing records count as done."""
    out: list[tuple[str, str]] = []
    for record_id, result in zip(ids, results, strict=True):
        if result.success:
            continue
        code = result.errors[0].status_code if result.errors else "UNKNOWN"
        if code not in DONE_CODES:
            out.append((record_id, code))
    return out
