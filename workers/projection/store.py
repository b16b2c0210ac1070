"""Write snapshots into the projection: latest `evaluated_at` wins, one transaction per batch.

A batch WATCHes the persons' documents, reads their previous snapshots (whose index entries are
removed), and writes the new documents and index entries in one MULTI/EXEC. A concurrent writer
makes EXEC fail and the batch is retried, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import redis.asyncio
import redis.exceptions
from redis.asyncio.client import Pipeline

from schemas.messages import PermissionsSnapshot
from workers.projection.keys import IndexEntries, Keys, index_entries

MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class WriteResult:
    written: int
    stale: int


def latest_per_person(snapshots: Iterable[PermissionsSnapshot]) -> dict[str, PermissionsSnapshot]:
    """The newest snapshot of each person in `snapshots` (compacted-topic semantics)."""
    latest: dict[str, PermissionsSnapshot] = {}
    for snapshot in snapshots:
        current = latest.get(snapshot.individual_id)
        if current is None or snapshot.evaluated_at > current.evaluated_at:
            latest[snapshot.individual_id] = snapshot
    return latest


def decode_snapshot(raw: bytes | str) -> PermissionsSnapshot:
    return PermissionsSnapshot.model_validate_json(raw)


@dataclass
class BatchChanges:
    """Index changes of a whole batch, grouped by key: one command per key, not per person."""

    added: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    removed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    scored: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    unscored: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    registries: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    documents: dict[str, str] = field(default_factory=dict)

    def person(self, member: str, old: IndexEntries | None, new: IndexEntries) -> None:
        old = old or IndexEntries()
        for key in old.sets - new.sets:
            self.removed[key].append(member)
        for key in new.sets - old.sets:
            self.added[key].append(member)
        for key in old.scores.keys() - new.scores.keys():
            self.unscored[key].append(member)
        for key, score in new.scores.items():
            if old.scores.get(key) != score:
                self.scored[key][member] = score
        for registry, cell in new.registries - old.registries:
            self.registries[registry].add(cell)

    def queue(self, pipe: Pipeline) -> None:
        for key, members in self.removed.items():
            pipe.srem(key, *members)
        for key, members in self.added.items():
            pipe.sadd(key, *members)
        for key, members in self.unscored.items():
            pipe.zrem(key, *members)
        for key, scores in self.scored.items():
            pipe.zadd(key, scores)
        for key, cells in self.registries.items():
            pipe.sadd(key, *cells)
        if self.documents:
            pipe.mset(self.documents)


async def write_snapshots(
    client: redis.asyncio.Redis,
    keys: Keys,
    snapshots: Sequence[PermissionsSnapshot],
    *,
    extra: dict[str, dict[str, int]] | None = None,
) -> WriteResult:
    """Project `snapshots`; `extra` hashes (key -> field -> int) are set in the same transaction."""
    latest = latest_per_person(snapshots)
    person_keys = [keys.person(individual_id) for individual_id in latest]
    for _ in range(MAX_ATTEMPTS):
        async with client.pipeline(transaction=True) as pipe:
            try:
                if person_keys:
                    await pipe.watch(*person_keys)
                    previous = await client.mget(person_keys)
                else:
                    previous = []
                pipe.multi()  # type: ignore[no-untyped-call]
                result = _queue_batch(pipe, keys, latest, previous)
                for key, mapping in (extra or {}).items():
                    if mapping:
                        pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
                await pipe.execute()
            except redis.exceptions.WatchError:
                continue
            return result
    raise redis.exceptions.WatchError(f"projection batch lost {MAX_ATTEMPTS} races in a row")


def _queue_batch(
    pipe: Pipeline,
    keys: Keys,
    latest: dict[str, PermissionsSnapshot],
    previous: Sequence[bytes | str | None],
) -> WriteResult:
    written = stale = 0
    changes = BatchChanges()
    for (individual_id, snapshot), raw in zip(latest.items(), previous, strict=True):
        old = decode_snapshot(raw) if raw is not None else None
        if old is not None and old.evaluated_at >= snapshot.evaluated_at:
            stale += 1
            continue
        old_entries = index_entries(keys, old) if old is not None else None
        changes.person(individual_id, old_entries, index_entries(keys, snapshot))
        changes.documents[keys.person(individual_id)] = snapshot.model_dump_json()
        written += 1
    changes.queue(pipe)
    return WriteResult(written=written, stale=stale)


async def read_snapshot(
    client: redis.asyncio.Redis, keys: Keys, individual_id: str
) -> PermissionsSnapshot | None:
    raw = await client.get(keys.person(individual_id))
    return None if raw is None else decode_snapshot(raw)


async def count_persons(client: redis.asyncio.Redis, keys: Keys) -> int:
    return int(await client.scard(keys.everyone))
