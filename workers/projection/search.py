"""Run a `SearchQuery` against the projection's indexes.

Each filter becomes a group of keys (workers/projection/plan.py; a group matches the union of its
keys; groups are ANDed). Dense results without an expiry window are walked in id order a page at
a time, the total from set cardinalities (workers/projection/scan.py): no cost per match. Other
results are materialised: the smallest group drives, copied into a temporary sorted set that
every other group then narrows; that result is kept for a minute under the query's digest, so
cursors page through one stable, ordered result (by valid_until when an expiry window is given,
then by Individual id).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import redis.asyncio
from redis.asyncio.client import Pipeline

from schemas.messages import PermissionCell, PermissionsSnapshot
from workers.projection.keys import Keys, cell_tuple
from workers.projection.plan import Group, plan, tuple_matches
from workers.projection.query import SearchQuery, make_cursor
from workers.projection.scan import (
    SCAN_BUDGET,
    count_matches,
    first_chunk,
    walk,
)
from workers.projection.store import decode_snapshot


@dataclass(frozen=True)
class SearchPage:
    total: int
    offset: int
    persons: tuple[PermissionsSnapshot, ...]
    next_cursor: str | None


async def _sizes(client: redis.asyncio.Redis, groups: list[Group]) -> list[int]:
    async with client.pipeline(transaction=False) as pipe:
        for group in groups:
            for key in group.keys:
                if group.window is not None:
                    pipe.zcount(key, _low(group.window), _high(group.window))
                else:
                    pipe.scard(key)
        counts = iter(await pipe.execute())
    return [sum(int(next(counts)) for _ in group.keys) for group in groups]


def _low(window: tuple[float, float]) -> str:
    return "-inf" if window[0] == -math.inf else repr(window[0])


def _high(window: tuple[float, float]) -> str:
    return "+inf" if window[1] == math.inf else f"({window[1]!r}"


def _queue_driver(pipe: Pipeline, target: str, group: Group) -> None:
    assert group.window is not None  # noqa: S101 - only windows drive sorted results
    low, high = _low(group.window), _high(group.window)
    pipe.zrangestore(target, group.keys[0], low, high, byscore=True)


def _queue_narrowing(pipe: Pipeline, target: str, group: Group, scratch: str) -> None:
    if group.window is not None:  # take the expiry as score, then cut to the window
        pipe.zinterstore(target, {target: 0, group.keys[0]: 1})
        low, high = group.window
        if low != -math.inf:
            pipe.zremrangebyscore(target, "-inf", f"({low!r}")
        if high != math.inf:
            pipe.zremrangebyscore(target, repr(high), "+inf")
        return
    if len(group.keys) == 1:
        pipe.zinterstore(target, {target: 1, group.keys[0]: 0})
        return
    parts = [f"{scratch}:{i}" for i in range(len(group.keys))]
    for part, key in zip(parts, group.keys, strict=True):
        pipe.zinterstore(part, {target: 1, key: 0})
    pipe.zunionstore(target, parts, aggregate="MAX")
    pipe.delete(*parts)


def _queue_set_algebra(pipe: Pipeline, target: str, groups: list[Group]) -> None:
    """Intersect in plain sets, distributing the single-key groups over the union of the cell
    tuples ((A | B) & C = (A & C) | (B & C)), so no large union is built just to be narrowed;
    only the result becomes a sorted set (by Individual id; by valid_until with a window, which
    then cuts it). Measured: ZUNIONSTORE of 31k members 27 ms, then 1 ms per page, where
    SORT ... ALPHA LIMIT on a plain set costs 42 ms for every page."""
    singles = [g.keys[0] for g in groups if g.window is None and len(g.keys) == 1]
    union = next((g for g in groups if g.window is None and len(g.keys) > 1), None)
    window = next((g for g in groups if g.window is not None), None)
    alternatives = [(key,) for key in union.keys] if union is not None else [()]
    parts = [f"{target}:part:{i}" for i in range(len(alternatives))]
    for part, alternative in zip(parts, alternatives, strict=True):
        pipe.sinterstore(part, [*alternative, *singles])
    pipe.zunionstore(target, dict.fromkeys(parts, 0))
    pipe.delete(*parts)
    if window is not None:
        _queue_narrowing(pipe, target, window, f"{target}:window")


async def materialise(
    client: redis.asyncio.Redis, keys: Keys, query: SearchQuery, target: str, ttl: int
) -> None:
    """Store the ordered result of `query` at `target` (built aside, then renamed in); the
    placeholder member "" at rank 0 keeps an empty result cached."""
    groups = await plan(client, keys, query)
    sizes = await _sizes(client, groups)
    order = sorted(range(len(groups)), key=lambda i: sizes[i])
    scratch = keys.temporary(uuid.uuid4().hex)
    async with client.pipeline(transaction=True) as pipe:
        if any(not g.keys for g in groups) or sizes[order[0]] == 0:
            pipe.delete(scratch)
        elif groups[order[0]].window is not None:  # a narrow expiry window drives
            _queue_driver(pipe, scratch, groups[order[0]])
            for index in order[1:]:
                _queue_narrowing(pipe, scratch, groups[index], f"{scratch}:part")
        else:
            _queue_set_algebra(pipe, scratch, groups)
        pipe.zadd(scratch, {"": -math.inf})
        pipe.rename(scratch, target)
        pipe.expire(target, ttl)
        await pipe.execute()


async def run_search(
    client: redis.asyncio.Redis, keys: Keys, query: SearchQuery, *, ttl: int = 60
) -> SearchPage:
    """One page of matches and the total count."""
    digest = query.digest()
    offset = query.offset()
    target = keys.result(digest)
    cached = await client.exists(target)
    if not cached and not query.has_window:
        walked = await _walked_page(client, keys, query, ttl)
        if walked is not None:
            return walked
    if not cached:
        await materialise(client, keys, query, target, ttl)
    # rank 0 is the placeholder member "" that keeps an empty result cached
    async with client.pipeline(transaction=True) as pipe:
        pipe.zcard(target)
        pipe.zrange(target, offset + 1, offset + query.limit)
        size, members = await pipe.execute()
    total = max(int(size) - 1, 0)
    ids = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
    raws = await client.mget([keys.person(i) for i in ids]) if ids else []
    persons = tuple(decode_snapshot(raw) for raw in raws if raw is not None)
    end = offset + query.limit
    return SearchPage(
        total=total,
        offset=offset,
        persons=persons,
        next_cursor=make_cursor(end, digest) if end < total else None,
    )


async def _walked_page(
    client: redis.asyncio.Redis, keys: Keys, query: SearchQuery, ttl: int
) -> SearchPage | None:
    """The page by walking the id order (dense results); None when it has to be materialised.

    The first page counts and decides; the cursor's boundary key carries the total, the chunk
    size and the last id to the next pages (kept `ttl` seconds, like a materialised result)."""
    digest, offset = query.digest(), query.offset()
    groups = [group.keys for group in await plan(client, keys, query)]
    if any(not group for group in groups):
        return None
    if offset:
        boundary = await client.get(keys.boundary(digest, offset))
        if boundary is None:
            return None
        total_text, chunk_text, after = _text(boundary).split(" ", 2)
        total, chunk, start = int(total_text), int(chunk_text), after
    else:
        counted = await count_matches(client, keys, groups, query.limit)
        if counted is None:
            return None
        total, start = counted.total, None
        chunk = first_chunk(query.limit, total, counted.population)
    budget = min(SCAN_BUDGET, 4 * chunk)  # clustered matches: give up early, materialise
    ids = await walk(
        client, keys, groups, after=start, wanted=query.limit, chunk=chunk, budget=budget
    )
    if ids is None:
        return None
    end = offset + query.limit
    next_cursor = None
    if end < total and len(ids) == query.limit:
        await client.set(keys.boundary(digest, end), f"{total} {chunk} {ids[-1]}", ex=ttl)
        next_cursor = make_cursor(end, digest)
    raws = await client.mget([keys.person(i) for i in ids]) if ids else []
    persons = tuple(decode_snapshot(raw) for raw in raws if raw is not None)
    return SearchPage(total=total, offset=offset, persons=persons, next_cursor=next_cursor)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def matching_cells(snapshot: PermissionsSnapshot, query: SearchQuery) -> list[PermissionCell]:
    """The cells of a hit that satisfy the cell filters (what the result list shows)."""
    purposes = {p.purpose_id: p for p in snapshot.purposes}
    start, end = query.window_start, query.window_end
    cells = []
    for cell in snapshot.cells:
        info = purposes.get(cell.purpose_id)
        terms = {cell.purpose_id} | (
            {info.category, info.parent_id, info.product_family} if info else set()
        )
        member = cell_tuple(
            cell.permitted,
            cell.reason.value,
            cell.effective_basis.value if cell.effective_basis else None,
        )
        if (
            (query.purpose is None or query.purpose in terms)
            and (query.channel is None or cell.channel == query.channel)
            and tuple_matches(member, query)
            and (start is None or (cell.valid_until is not None and cell.valid_until >= start))
            and (end is None or (cell.valid_until is not None and cell.valid_until < end))
        ):
            cells.append(cell)
    return cells
