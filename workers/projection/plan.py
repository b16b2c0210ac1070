"""A search query as groups of index keys: a match is in the union of each group's keys.

Attributes are one set each; cell filters are the scope's cell-tuple sets that fit (or its
permitted set, when only `permitted` is asked); an expiry window is a score range of the scope's
expiry sorted set. No filter at all is everyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis.asyncio

from workers.projection.keys import ANY, Keys
from workers.projection.query import SearchQuery


@dataclass(frozen=True)
class Group:
    """Keys whose union a match must be in; `window` makes it a score range of one sorted set."""

    keys: tuple[str, ...]
    window: tuple[float, float] | None = None


def _scope(keys: Keys, query: SearchQuery) -> str:
    channel = query.channel.value if query.channel is not None else ANY
    return keys.scope(query.purpose or ANY, channel)


def tuple_matches(member: str, query: SearchQuery) -> bool:
    permitted, reason, basis = member.split("|", 2)
    return (
        (query.permitted is None or permitted == str(int(query.permitted)))
        and (query.reason is None or reason == query.reason.value)
        and (query.basis is None or basis == query.basis.value)
    )


async def plan(client: redis.asyncio.Redis, keys: Keys, query: SearchQuery) -> list[Group]:
    """The key groups of `query`; an empty group means nothing can match."""
    groups = [
        Group((keys.attribute(name, value),))
        for name, value in (
            ("brand", query.brand),
            ("org", query.org),
            ("jurisdiction", query.jurisdiction),
        )
        if value is not None
    ]
    scope = _scope(keys, query)
    scoped = query.purpose is not None or query.channel is not None
    if query.permitted is not None and query.reason is None and query.basis is None:
        groups.append(Group((keys.permitted_set(scope, query.permitted),)))
    elif scoped and not query.has_window and not query.has_cell_filter:
        both = (keys.permitted_set(scope, True), keys.permitted_set(scope, False))
        groups.append(Group(both))
    elif query.has_cell_filter:
        members = await client.smembers(keys.registry(scope))
        decoded = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
        tuples = [m for m in decoded if tuple_matches(m, query)]
        groups.append(Group(tuple(keys.cell_set(scope, t) for t in tuples)))
    if query.has_window:
        start, end = query.window_start, query.window_end
        low = start.timestamp() if start is not None else -math.inf
        high = end.timestamp() if end is not None else math.inf
        groups.append(Group((keys.expiry(scope),), window=(low, high)))
    return groups or [Group((keys.everyone,))]
