"""Projection indexes and search against fakeredis: filters, correlation, windows, pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fakeredis
import pytest
import redis.asyncio

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from tests.component.test_projection_builders import cell, days, snapshot
from workers.projection.keys import Keys
from workers.projection.query import SearchQuery
from workers.projection.search import run_search
from workers.projection.store import write_snapshots

pytestmark = pytest.mark.component

E, S = Channel.EMAIL, Channel.SMS


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    try:
        yield fake
    finally:
        await fake.aclose()


@pytest.fixture
def keys() -> Keys:
    return Keys("t:")


async def ids(client: redis.asyncio.Redis, keys: Keys, **filters: object) -> list[str]:
    page = await run_search(client, keys, SearchQuery.model_validate(filters))
    return [p.individual_id for p in page.persons]


async def test_filters_match_the_same_cell(client: redis.asyncio.Redis, keys: Keys) -> None:
    await write_snapshots(
        client,
        keys,
        [
            snapshot(
                "a",
                cell("pet-insurance", E),
                cell("car-insurance", S, permitted=False, reason=Reason.CONSENT_WITHDRAWN),
            ),
            snapshot(
                "b",
                cell("pet-insurance", S),
                cell("car-insurance", E, permitted=False, reason=Reason.CONSENT_WITHDRAWN),
                brand="other",
            ),
            snapshot(
                "c",
                cell("billing", None, reason=Reason.CONTRACT_ACTIVE, basis=Basis.CONTRACT),
                jurisdiction="FR",
            ),
        ],
    )
    assert await ids(client, keys, purpose="pet-insurance", channel="EMAIL") == ["a"]
    assert await ids(client, keys, purpose="pet-insurance") == ["a", "b"]
    assert await ids(client, keys, channel="EMAIL", permitted="false") == ["b"]
    assert await ids(client, keys, purpose="insurance", permitted="false", channel="SMS") == ["a"]
    assert await ids(client, keys, purpose="MARKETING", brand="other") == ["b"]
    assert await ids(client, keys, basis="CONTRACT") == ["c"]
    assert await ids(client, keys, jurisdiction="FR") == ["c"]
    assert await ids(client, keys, reason="CONSENT_WITHDRAWN", purpose="billing") == []
    assert await ids(client, keys) == ["a", "b", "c"]


async def test_expiry_window_orders_by_valid_until(client: redis.asyncio.Redis, keys: Keys) -> None:
    await write_snapshots(
        client,
        keys,
        [
            snapshot("late", cell("pet-insurance", E, valid_until=days(6))),
            snapshot("early", cell("pet-insurance", E, valid_until=days(2))),
            snapshot("far", cell("pet-insurance", E, valid_until=days(40))),
            snapshot("sms", cell("pet-insurance", S, valid_until=days(3))),
        ],
    )
    window = {"expires_from": days(0).isoformat(), "expires_to": days(7).isoformat()}
    found = await ids(client, keys, purpose="pet-insurance", channel="EMAIL", **window)
    assert found == ["early", "late"]
    assert await ids(client, keys, permitted="true", **window) == ["early", "sms", "late"]
    assert await ids(client, keys, expires_from=days(30).date().isoformat()) == ["far"]


async def test_newer_snapshot_replaces_indexes_older_is_ignored(
    client: redis.asyncio.Redis, keys: Keys
) -> None:
    first = snapshot("a", cell("pet-insurance", E), at=days(0))
    second = snapshot(
        "a", cell("pet-insurance", E, permitted=False, reason=Reason.CONSENT_WITHDRAWN), at=days(1)
    )
    assert (await write_snapshots(client, keys, [first])).written == 1
    assert (await write_snapshots(client, keys, [second])).written == 1
    result = await write_snapshots(client, keys, [first])
    assert (result.written, result.stale) == (0, 1)
    assert await write_snapshots(client, keys, [second]) == type(result)(written=0, stale=1)
    assert await ids(client, keys, permitted="true") == []
    assert await ids(client, keys, reason="CONSENT_WITHDRAWN", channel="EMAIL") == ["a"]


async def test_pagination_is_stable_and_counts(client: redis.asyncio.Redis, keys: Keys) -> None:
    persons = [snapshot(f"p{i:03}", cell("billing", None)) for i in range(25)]
    await write_snapshots(client, keys, persons)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = SearchQuery(purpose="billing", limit=10, cursor=cursor)
        page = await run_search(client, keys, query)
        assert page.total == 25
        seen += [p.individual_id for p in page.persons]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(p.individual_id for p in persons)
    with pytest.raises(ValueError, match="another search"):
        SearchQuery(purpose="other", cursor="10." + "0" * 16).offset()
