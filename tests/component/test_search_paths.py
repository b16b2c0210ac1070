"""Search answers (walked or materialised) equal a brute-force filter of the snapshots: the same
ids in the same order, page by page through the cursors, and the same total."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from unittest.mock import patch

import fakeredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import PermissionCell, PermissionsSnapshot
from tests.component.test_projection_builders import PURPOSES, cell, days, snapshot
from workers.projection import scan
from workers.projection.keys import Keys, cell_tuple
from workers.projection.query import SearchQuery
from workers.projection.scan import Count
from workers.projection.search import run_search
from workers.projection.store import write_snapshots

pytestmark = pytest.mark.component

PURPOSE_IDS = [p.purpose_id for p in PURPOSES]
CHANNELS = [Channel.EMAIL, Channel.SMS, None]
REASONS = [Reason.CONSENT_ACTIVE, Reason.CONSENT_WITHDRAWN, Reason.CHANNEL_OPT_OUT]
BASES = [Basis.CONSENT, Basis.CONTRACT, None]

cells = st.builds(
    lambda purpose, channel, permitted, reason, basis, until: cell(
        purpose, channel, permitted=permitted, reason=reason, basis=basis,
        valid_until=None if until is None else days(until),
    ),
    st.sampled_from(PURPOSE_IDS), st.sampled_from(CHANNELS), st.booleans(),
    st.sampled_from(REASONS), st.sampled_from(BASES), st.none() | st.integers(0, 20),
)  # fmt: skip
persons = st.lists(
    st.tuples(
        st.lists(cells, min_size=1, max_size=3),
        st.sampled_from(["acme", "other"]),
        st.sampled_from(["DE", "FR"]),
    ),
    max_size=25,
)
queries = st.fixed_dictionaries(
    {},
    optional={
        "purpose": st.sampled_from([*PURPOSE_IDS, "insurance", "MARKETING", "NON_MARKETING"]),
        "channel": st.sampled_from(["EMAIL", "SMS"]),
        "permitted": st.booleans(),
        "reason": st.sampled_from([r.value for r in REASONS]),
        "basis": st.sampled_from([b.value for b in BASES if b is not None]),
        "brand": st.just("acme"),
        "jurisdiction": st.just("FR"),
        "expires_from": st.integers(0, 10).map(lambda d: days(d).isoformat()),
        "expires_to": st.integers(11, 21).map(lambda d: days(d).isoformat()),
    },
)


def _in_scope(snap: PermissionsSnapshot, c: PermissionCell, query: SearchQuery) -> bool:
    info = {p.purpose_id: p for p in snap.purposes}.get(c.purpose_id)
    terms = {c.purpose_id} | ({info.category, info.parent_id} if info else set())
    return (query.purpose is None or query.purpose in terms) and (
        query.channel is None or c.channel == query.channel
    )


def _expected(snaps: list[PermissionsSnapshot], query: SearchQuery) -> list[str]:
    """Brute force: attributes, a scope cell with the cell filters, the scope's earliest expiry
    inside the window; ordered by that expiry (with a window), then by id."""
    found: list[tuple[float, str]] = []
    for snap in snaps:
        if (query.brand, query.jurisdiction) != (
            query.brand and snap.brand,
            query.jurisdiction and snap.jurisdiction,
        ):
            continue
        scoped = [c for c in snap.cells if _in_scope(snap, c, query)]
        tuples = [
            cell_tuple(c.permitted, c.reason.value, c.effective_basis.value if c.effective_basis
                       else None).split("|") for c in scoped
        ]  # fmt: skip
        wanted = (
            str(int(query.permitted)) if query.permitted is not None else None,
            query.reason.value if query.reason else None,
            query.basis.value if query.basis else None,
        )
        if not any(all(w is None or w == t for w, t in zip(wanted, tup, strict=True))
                   for tup in tuples):  # fmt: skip
            continue
        score = 0.0
        if query.has_window:
            untils = [c.valid_until for c in scoped if c.valid_until is not None]
            start, end = query.window_start, query.window_end
            if not untils or not _inside(min(untils), start, end):
                continue
            score = min(untils).timestamp()
        found.append((score, snap.individual_id))
    return [i for _, i in sorted(found)]


def _always(limit: int, count: Count) -> bool:
    return count.total > 0


def _inside(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


async def _paged(client: fakeredis.FakeAsyncRedis, keys: Keys, filters: dict[str, object],
                 limit: int) -> tuple[list[str], set[int]]:  # fmt: skip
    seen: list[str] = []
    totals: set[int] = set()
    cursor: str | None = None
    for _ in range(100):
        query = SearchQuery.model_validate({**filters, "limit": limit, "cursor": cursor})
        page = await run_search(client, keys, query)
        totals.add(page.total)
        seen += [p.individual_id for p in page.persons]
        cursor = page.next_cursor
        if cursor is None:
            break
    return seen, totals


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=persons, filters=queries, limit=st.integers(1, 4), walk=st.booleans())
async def test_pages_and_totals_equal_brute_force(
    people: list[tuple[list[PermissionCell], str, str]],
    filters: dict[str, object],
    limit: int,
    walk: bool,
) -> None:
    """`walk` forces the walked path wherever it can count (else materialising decides)."""
    snaps = [snapshot(f"id{n:02}", *cs, brand=brand, jurisdiction=country)
             for n, (cs, brand, country) in enumerate(people)]  # fmt: skip
    client = fakeredis.FakeAsyncRedis()
    keys = Keys("t:")
    try:
        await write_snapshots(client, keys, snaps)
        expected = _expected(snaps, SearchQuery.model_validate(filters))
        forced = patch.object(scan, "worth_walking", _always) if walk else nullcontext()
        with forced:
            seen, totals = await _paged(client, keys, filters, limit)
    finally:
        await client.aclose()
    assert seen == expected
    assert totals == {len(expected)}


async def test_dense_search_walks_without_materialising() -> None:
    client = fakeredis.FakeAsyncRedis()
    keys = Keys("t:")
    try:
        snaps = [snapshot(f"p{i:03}", cell("pet-insurance", Channel.EMAIL, permitted=i % 10 > 0))
                 for i in range(60)]  # fmt: skip
        await write_snapshots(client, keys, snaps)
        filters: dict[str, object] = {"purpose": "MARKETING", "permitted": "true"}
        seen, totals = await _paged(client, keys, filters, 7)
        digest = SearchQuery.model_validate(filters).digest()
        assert not await client.exists(keys.result(digest))  # walked, not materialised
    finally:
        await client.aclose()
    assert seen == [s.individual_id for s in snaps if s.cells[0].permitted]
    assert totals == {54}


async def test_clustered_matches_give_up_walking_and_materialise() -> None:
    client = fakeredis.FakeAsyncRedis()
    keys = Keys("t:")
    try:
        snaps = [snapshot(f"p{i:04}", cell("pet-insurance", Channel.EMAIL, permitted=i >= 2940))
                 for i in range(3000)]  # fmt: skip
        await write_snapshots(client, keys, snaps)
        filters: dict[str, object] = {"purpose": "MARKETING", "permitted": "true"}
        with patch.object(scan, "worth_walking", _always):
            seen, totals = await _paged(client, keys, filters, 7)
        digest = SearchQuery.model_validate(filters).digest()
        assert await client.exists(keys.result(digest))  # the walk gave up within its budget
    finally:
        await client.aclose()
    assert seen == [f"p{i:04}" for i in range(2940, 3000)]
    assert totals == {60}
