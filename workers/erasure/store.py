"""Erasure requests persisted in Redis after every step (the executor's resumable state)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal, cast

import redis.asyncio
from pydantic import BaseModel, ConfigDict, Field

from handlers.erasure_graph import ActionPlan
from schemas.tombstone import CategoryOutcome, RecipientNotice

State = Literal[
    "received",
    "planned",
    "masking",
    "deleting",
    "purging",
    "notifying",
    "tombstoned",
    "done",
    "blocked",
    "failed",
]
FINAL: frozenset[str] = frozenset({"done", "failed"})


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str
    at: datetime
    reason: str | None = None


class ErasureRequest(BaseModel):
    """One request's progress: ids, decisions and hashes only (no personal value)."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    individual_id: str
    state: State = "received"
    reason: str | None = None
    received_at: datetime
    verified_at: datetime | None = None
    extension_notified_at: datetime | None = None
    identity_requested: bool = False
    actor: str = "salesforce"
    due: date | None = None
    policy_version: str | None = None
    plan: ActionPlan | None = None
    categories: tuple[CategoryOutcome, ...] = ()
    identifier_hashes: tuple[str, ...] = ()
    bulk: bool = False
    done_chunks: dict[str, list[int]] = Field(default_factory=dict)
    notified: tuple[RecipientNotice, ...] = ()
    published: tuple[str, ...] = Field(default=(), description="Side effects already produced")
    executed_at: datetime | None = None
    attempts: int = 0
    retry_at: datetime | None = Field(
        default=None, description="When a request blocked for a time-bound reason resumes"
    )
    api_calls: int = 0
    history: tuple[Transition, ...] = ()

    def moved(self, state: State, reason: str | None = None) -> ErasureRequest:
        step = Transition(state=state, at=datetime.now(UTC), reason=reason)
        return self.model_copy(
            update={"state": state, "reason": reason, "history": (*self.history, step)}
        )

    def resumed(self, reason: str) -> ErasureRequest:
        """Back to the state it was blocked in (attempts and retry time cleared)."""
        earlier = [t.state for t in self.history if t.state != "blocked"]
        back = cast(State, earlier[-1] if earlier else "received")
        return self.moved(back, reason).model_copy(update={"attempts": 0, "retry_at": None})

    def chunk_done(self, step: str, index: int) -> ErasureRequest:
        chunks = {**self.done_chunks, step: [*self.done_chunks.get(step, []), index]}
        return self.model_copy(update={"done_chunks": chunks})

    def with_published(self, marker: str) -> ErasureRequest:
        return self.model_copy(update={"published": (*self.published, marker)})


class RequestStore:
    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix
        self.index = f"{prefix}erasure:requests"
        self.open_index = f"{prefix}erasure:open"  # not done/failed, by received_at
        self.retry_index = f"{prefix}erasure:blocked-retry"  # blocked, by retry time

    def key(self, request_id: str) -> str:
        return f"{self.prefix}erasure:request:{request_id}"

    async def get(self, request_id: str) -> ErasureRequest | None:
        raw = await self.redis.get(self.key(request_id))
        return None if raw is None else ErasureRequest.model_validate_json(raw)

    async def put(self, request: ErasureRequest) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key(request.request_id), request.model_dump_json())
            received = request.received_at.timestamp()
            pipe.zadd(self.index, {request.request_id: received})
            if request.state in FINAL:
                pipe.zrem(self.open_index, request.request_id)
            else:
                pipe.zadd(self.open_index, {request.request_id: received})
            if request.state == "blocked" and request.retry_at is not None:
                pipe.zadd(self.retry_index, {request.request_id: request.retry_at.timestamp()})
            else:
                pipe.zrem(self.retry_index, request.request_id)
            await pipe.execute()

    async def drop_retry(self, request_id: str) -> None:
        await self.redis.zrem(self.retry_index, request_id)

    async def due_retries(self, now: float, limit: int = 100) -> list[str]:
        """Ids of blocked requests whose cool-down ended by `now` (epoch seconds), oldest first."""
        raw = await self.redis.zrangebyscore(self.retry_index, "-inf", now, start=0, num=limit)
        return [r.decode() if isinstance(r, bytes) else str(r) for r in raw]

    async def many(self, request_ids: list[str]) -> list[ErasureRequest]:
        """The stored requests of `request_ids`, in that order (unknown ids left out)."""
        if not request_ids:
            return []
        raws = await self.redis.mget([self.key(i) for i in request_ids])
        return [ErasureRequest.model_validate_json(raw) for raw in raws if raw is not None]

    async def oldest_open(self) -> float | None:
        """`received_at` (epoch seconds) of the oldest request not done or failed."""
        first = await self.redis.zrange(self.open_index, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def ids(
        self, *, newest_first: bool = True, limit: int = 100, offset: int = 0
    ) -> list[str]:
        end = offset + limit - 1
        raw = (
            await self.redis.zrevrange(self.index, offset, end)
            if newest_first
            else await self.redis.zrange(self.index, offset, end)
        )
        return [r.decode() if isinstance(r, bytes) else str(r) for r in raw]
