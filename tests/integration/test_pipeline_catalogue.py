"""The purpose catalogue cache on a real Redis: a lost cache is written back from what a worker
last built from, never replaced by an empty (or partial) catalogue."""

from __future__ import annotations

import pytest
import redis.asyncio

from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from workers.pipeline.ports import CatalogueRecord
from workers.pipeline.purposes import PurposeCatalogue

pytestmark = pytest.mark.integration

PET = "0ZW000000000001AAA"
CAR = "0ZW000000000002AAA"
HOME = "0ZW000000000003AAA"


def purpose(name: str) -> dict[str, str]:
    return {"Name": name, "Lawful_Category__c": "MARKETING", "Lawful_Basis__c": "CONSENT"}


def catalogue(client: redis.asyncio.Redis, prefix: str) -> PurposeCatalogue:
    return PurposeCatalogue(client, prefix, RulesConfig(), purpose_from_fields)


async def lose_the_cache(client: redis.asyncio.Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}catalogue:*")]
    assert keys
    await client.delete(*keys)


async def test_a_lost_cache_is_written_back_and_a_later_change_kept(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    first = catalogue(redis_client, redis_prefix)
    await first.apply(CatalogueRecord("DataUsePurpose", PET, purpose("Pet")))
    await first.apply(CatalogueRecord("DataUsePurpose", CAR, purpose("Car")))
    other = catalogue(redis_client, redis_prefix)  # another worker
    await other.refresh()
    assert set(other.policy.purposes) == {PET, CAR}
    await lose_the_cache(redis_client, redis_prefix)
    await first.apply(CatalogueRecord("DataUsePurpose", HOME, purpose("Home")))  # after the loss
    assert set(first.policy.purposes) == {PET, CAR, HOME}
    await other.refresh()
    assert set(other.policy.purposes) == {PET, CAR, HOME}
    fresh = catalogue(redis_client, redis_prefix)  # a worker started after the loss
    await fresh.refresh()
    assert set(fresh.policy.purposes) == {PET, CAR, HOME}


async def test_a_worker_that_finds_the_cache_gone_keeps_its_catalogue(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    worker = catalogue(redis_client, redis_prefix)
    await worker.apply(CatalogueRecord("DataUsePurpose", PET, purpose("Pet")))
    await lose_the_cache(redis_client, redis_prefix)
    await worker.refresh()  # the timer's refresh
    assert set(worker.policy.purposes) == {PET}
    assert await redis_client.hexists(f"{redis_prefix}catalogue:purposes", PET)
    assert await redis_client.exists(f"{redis_prefix}catalogue:epoch")
