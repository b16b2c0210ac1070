"""Read-only views of erasure requests (for `lawful erase status` and `GET /v1/erasures`)."""

from __future__ import annotations

from typing import Any

import redis.asyncio

from workers.erasure.store import ErasureRequest, RequestStore

SCAN_PAGE = 500  # ids read per round trip when a state filter skips requests


def summary(request: ErasureRequest) -> dict[str, Any]:
    """The public view of one request: ids, states, dates and counts (no personal value)."""
    plan = request.plan
    return {
        "request_id": request.request_id,
        "individual_id": request.individual_id,
        "state": request.state,
        "reason": request.reason,
        "actor": request.actor,
        "received_at": request.received_at.isoformat(),
        "verified_at": request.verified_at.isoformat() if request.verified_at else None,
        "due": request.due.isoformat() if request.due else None,
        "executed_at": request.executed_at.isoformat() if request.executed_at else None,
        "deleted": len(plan.deletes) if plan else 0,
        "masked": len(plan.masked_only) if plan else 0,
        "retained": len(plan.retained) if plan else 0,
        "retained_categories": sorted(
            {c.category for c in request.categories if c.decision == "RETAINED"}
        ),
        "history": [t.model_dump(mode="json") for t in request.history],
    }


async def list_requests(
    client: redis.asyncio.Redis,
    prefix: str = "lawful:",
    *,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Erasure requests, newest first; `offset`/`limit` count the requests in `state` only."""
    store = RequestStore(client, prefix)
    if state is None:
        return [summary(r) for r in await store.many(await store.ids(limit=limit, offset=offset))]
    out: list[dict[str, Any]] = []
    skipped, start = 0, 0
    while len(out) < limit:
        ids = await store.ids(limit=SCAN_PAGE, offset=start)
        for request in await store.many(ids):
            if request.state != state:
                continue
            if skipped < offset:
                skipped += 1
            elif len(out) < limit:
                out.append(summary(request))
        if len(ids) < SCAN_PAGE:
            break
        start += SCAN_PAGE
    return out


async def get_request(
    client: redis.asyncio.Redis, request_id: str, prefix: str = "lawful:"
) -> dict[str, Any] | None:
    request = await RequestStore(client, prefix).get(request_id)
    return None if request is None else summary(request)
