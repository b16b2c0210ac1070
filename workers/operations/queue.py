"""The operation queues in Redis: enqueue, claim (atomic move to processing), update, finish."""

from __future__ import annotations

from collections.abc import Mapping

import redis.asyncio
from redis.typing import EncodableT, FieldT

KINDS = ("backfill", "replay")


def operation_key(prefix: str, operation_id: str) -> str:
    """The hash of one operation (the API's `GET /v1/operations/{id}` reads it)."""
    return f"{prefix}api:operation:{operation_id}"


def queue_key(prefix: str, kind: str) -> str:
    """Ids waiting to run, oldest on the left (the API pushes on the right)."""
    return f"{prefix}api:operations:{kind}"


def processing_key(prefix: str, kind: str) -> str:
    """Ids claimed by the runner and not finished yet."""
    return f"{queue_key(prefix, kind)}:processing"


def _hash(fields: Mapping[str, str]) -> dict[FieldT, EncodableT]:
    return dict(fields.items())


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class OperationQueue:
    """One Redis client, one key prefix; every method is a single atomic step."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def enqueue(self, kind: str, fields: Mapping[str, str]) -> None:
        """Record the operation (its hash) and queue its id, in one transaction."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(operation_key(self._prefix, fields["id"]), mapping=_hash(fields))
            pipe.rpush(queue_key(self._prefix, kind), fields["id"])
            await pipe.execute()

    async def claim(self, kind: str) -> str | None:
        """Move the oldest queued id to the processing list (LMOVE; None when none waits).

        Not BLMOVE: a blocking call cancelled at shutdown could still move an id server-side
        after the client stopped listening (it would then wait for the next start)."""
        moved = await self._client.lmove(
            queue_key(self._prefix, kind), processing_key(self._prefix, kind), "LEFT", "RIGHT"
        )
        return None if moved is None else _text(moved)

    async def requeue_abandoned(self, kind: str) -> list[str]:
        """Put every id a previous runner claimed but did not finish back at the queue's head."""
        moved: list[str] = []
        while True:
            item = await self._client.lmove(
                processing_key(self._prefix, kind), queue_key(self._prefix, kind), "RIGHT", "LEFT"
            )
            if item is None:
                return moved
            moved.append(_text(item))

    async def read(self, operation_id: str) -> dict[str, str]:
        found = await self._client.hgetall(operation_key(self._prefix, operation_id))
        return {_text(k): _text(v) for k, v in found.items()}

    async def update(self, operation_id: str, fields: Mapping[str, str]) -> None:
        await self._client.hset(operation_key(self._prefix, operation_id), mapping=_hash(fields))

    async def start(self, operation_id: str, fields: Mapping[str, str]) -> int:
        """Mark it running (clearing a previous attempt's outcome); returns the attempt number."""
        key = operation_key(self._prefix, operation_id)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hdel(key, "finished_at", "error")
            pipe.hset(key, mapping=_hash({**fields, "status": "running"}))
            pipe.hincrby(key, "attempts", 1)
            results = await pipe.execute()
        return int(results[-1])

    async def finish(self, kind: str, operation_id: str, fields: Mapping[str, str]) -> None:
        """Write the outcome and take the id off the processing list, in one transaction."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(operation_key(self._prefix, operation_id), mapping=_hash(fields))
            pipe.lrem(processing_key(self._prefix, kind), 1, operation_id)
            await pipe.execute()

    async def release(self, kind: str, operation_id: str) -> None:
        """Give an interrupted operation back: status `queued`, at the head of its queue."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(operation_key(self._prefix, operation_id), "status", "queued")
            pipe.lrem(processing_key(self._prefix, kind), 1, operation_id)
            pipe.lpush(queue_key(self._prefix, kind), operation_id)
            await pipe.execute()

    async def drop(self, kind: str, operation_id: str) -> None:
        """Forget a claimed id whose hash is gone (nothing to run, nothing to report)."""
        await self._client.lrem(processing_key(self._prefix, kind), 1, operation_id)
