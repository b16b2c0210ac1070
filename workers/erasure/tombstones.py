"""Durable, append-only tombstone log: a Redis list (the chain) mirrored to a JSONL file.

Appends hold a Redis lock so concurrent executors never fork the chain; an entry is written at
most once per request (`by-request` hash). The JSONL file under settings.data_dir is caught up
from Redis after each append, so it never lacks or repeats an entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio

from handlers.tombstone_chain import GENESIS, first_break, seal
from schemas.errors import TransientError
from schemas.tombstone import Tombstone

LOCK_TTL_MS = 30_000
LOCK_WAIT_S = 30.0


class TombstoneLog:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        prefix: str,
        jsonl: Path | None,
        *,
        guarded: bool = False,
    ) -> None:
        self.redis = client
        self.list_key = f"{prefix}tombstones"
        self.by_request = f"{prefix}tombstones:by-request"
        self.lock_key = f"{prefix}tombstones:lock"
        self.kept_key = f"{prefix}tombstones:kept"  # set once Redis holds the whole chain
        self.jsonl = jsonl
        self.guarded = guarded  # refuse to append until `kept_key` is set (the service)

    async def find(self, request_id: str) -> Tombstone | None:
        position = await self.redis.hget(self.by_request, request_id)
        if position is None:
            return None
        raw = await self.redis.lindex(self.list_key, int(position))
        return None if raw is None else Tombstone.model_validate_json(raw)

    async def append(self, fields: dict[str, Any]) -> Tombstone:
        """Seal and append the request's entry, or return the one already written."""
        async with self._locked():
            if self.guarded and not await self.redis.exists(self.kept_key):
                raise TransientError("tombstone chain not restored from Kafka yet")
            existing = await self.find(str(fields["request_id"]))
            if existing is not None:
                self._catch_up_file(await self._raw_entries())
                return existing
            count = await self.redis.llen(self.list_key)
            last = await self.redis.lindex(self.list_key, -1) if count else None
            prev = orjson.loads(last)["hash"] if last else GENESIS
            entry = seal({**fields, "sequence": count, "prev_hash": prev})
            raw = orjson.dumps(entry.model_dump(mode="json"))
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(self.list_key, raw)
                pipe.hset(self.by_request, entry.request_id, count)
                await pipe.execute()
            self._catch_up_file(await self._raw_entries())
            return entry

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """A SET NX lock (no Lua: works on any Redis-compatible server) held while appending."""
        token = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_S
        while not await self.redis.set(self.lock_key, token, nx=True, px=LOCK_TTL_MS):
            if loop.time() > deadline:
                raise TimeoutError("tombstone log lock not acquired")
            await asyncio.sleep(0.01)
        try:
            yield
        finally:
            if await self.redis.get(self.lock_key) in (token, token.encode()):
                await self.redis.delete(self.lock_key)

    async def _raw_entries(self) -> list[bytes]:
        raw = await self.redis.lrange(self.list_key, 0, -1)
        return [r if isinstance(r, bytes) else str(r).encode() for r in raw]

    def _catch_up_file(self, entries: list[bytes]) -> None:
        if self.jsonl is None:
            return
        self.jsonl.parent.mkdir(parents=True, exist_ok=True)
        have = 0
        if self.jsonl.exists():
            with self.jsonl.open("rb") as handle:
                have = sum(1 for _ in handle)
        if have < len(entries):
            with self.jsonl.open("ab") as handle:
                for raw in entries[have:]:
                    handle.write(raw + b"\n")

    async def entries(self) -> list[dict[str, Any]]:
        return [orjson.loads(r) for r in await self._raw_entries()]


def verify_entries(entries: list[dict[str, Any]]) -> tuple[int, str] | None:
    return first_break(entries)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]
