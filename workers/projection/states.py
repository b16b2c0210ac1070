"""The worker's person states (the Faust `persons` changelog) into Redis.

`state:<id>` holds the `AggregateState` bytes the API's explain trace re-runs the engine from;
`lookup:<digest>` sets hold the ids of the persons with a contact point of that keyed hash (no
value is stored in clear). `state-meta:<id>` keeps the changelog position of the stored state and
the person's digests: a replayed or older record (several API replicas project into one Redis)
never overwrites a newer one, and digests a person no longer has leave the index. A batch WATCHes
the persons' meta hashes and writes everything, with the next offsets, in one MULTI/EXEC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
import redis.asyncio
import redis.exceptions
import structlog
from redis.asyncio.client import Pipeline

from workers.projection.keys import Keys
from workers.projection.lookup import contact_digests

log = structlog.get_logger(__name__)

MARKER_KEY = b"\x00lawful-marker"  # the worker's changelog marker (workers/pipeline/pipeline.py)
MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class StateRecord:
    """One changelog record: the person, the state bytes (None: deleted) and its position."""

    individual_id: str
    value: bytes | None
    partition: int
    offset: int


@dataclass(frozen=True)
class StatesResult:
    written: int
    stale: int
    invalid: int


def state_record(key: bytes | None, value: bytes | None, partition: int, offset: int) -> (
    StateRecord | None
):  # fmt: skip
    """The record as a person's state, or None for the worker's markers and keyless records."""
    if not key or key == MARKER_KEY:
        return None
    return StateRecord(key.decode(errors="replace"), value or None, partition, offset)


def _digests(
    records: dict[str, StateRecord], secret: bytes | None
) -> tuple[dict[str, set[str]], int]:
    """Each person's lookup digests; undecodable states are dropped (and counted)."""
    found: dict[str, set[str]] = {}
    invalid = 0
    for individual_id, record in list(records.items()):
        if record.value is None or secret is None:
            found[individual_id] = set()
            continue
        try:
            found[individual_id] = contact_digests(record.value, secret)
        except (pydantic.ValidationError, ValueError) as error:
            invalid += 1
            del records[individual_id]
            log.warning("invalid state skipped", partition=record.partition,
                        offset=record.offset, error=type(error).__name__)  # fmt: skip
    return found, invalid


async def write_states(
    client: redis.asyncio.Redis,
    keys: Keys,
    records: Sequence[StateRecord],
    secret: bytes | None,
    *,
    offsets: dict[str, int] | None = None,
) -> StatesResult:
    """Store the latest state of each person in `records` (in changelog order) and its lookup
    digests (none without `secret`); `offsets` go into the offsets hash in the same EXEC."""
    latest = {record.individual_id: record for record in records}
    digests, invalid = _digests(latest, secret)
    metas = [keys.state_meta(individual_id) for individual_id in latest]
    for _ in range(MAX_ATTEMPTS):
        async with client.pipeline(transaction=True) as pipe:
            try:
                previous: list[Any] = []
                if metas:
                    await pipe.watch(*metas)
                    async with client.pipeline(transaction=False) as read:
                        for meta in metas:
                            read.hmget(meta, ["partition", "offset", "digests"])
                        previous = await read.execute()
                pipe.multi()  # type: ignore[no-untyped-call]
                written, stale = _queue(pipe, keys, latest, digests, previous)
                if offsets:
                    pipe.hset(keys.offsets, mapping=offsets)  # type: ignore[arg-type]
                await pipe.execute()
            except redis.exceptions.WatchError:
                continue
            return StatesResult(written=written, stale=stale, invalid=invalid)
    raise redis.exceptions.WatchError(f"states batch lost {MAX_ATTEMPTS} races in a row")


def _queue(
    pipe: Pipeline,
    keys: Keys,
    latest: dict[str, StateRecord],
    digests: dict[str, set[str]],
    previous: list[Any],
) -> tuple[int, int]:
    written = stale = 0
    for (individual_id, record), (partition, offset, old_digests) in zip(
        latest.items(), previous, strict=True
    ):
        if (
            partition is not None
            and int(partition) == record.partition
            and (int(offset) >= record.offset)
        ):
            stale += 1
            continue
        old = set(_text(old_digests).split()) if old_digests else set()
        new = digests[individual_id]
        for digest in old - new:
            pipe.srem(keys.lookup(digest), individual_id)
        for digest in new - old:
            pipe.sadd(keys.lookup(digest), individual_id)
        if record.value is None:
            pipe.delete(keys.state(individual_id))
        else:
            pipe.set(keys.state(individual_id), record.value)
        meta = {"partition": record.partition, "offset": record.offset,
                "digests": " ".join(sorted(new))}  # fmt: skip
        pipe.hset(keys.state_meta(individual_id), mapping=meta)  # type: ignore[arg-type]
        written += 1
    return written, stale


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
