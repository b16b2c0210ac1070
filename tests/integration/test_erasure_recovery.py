"""The erasure service's Redis state rebuilt from lawful.tombstones.v1 (real Tansu + Redis):
the chain comes back whole and verified, the suppression list matches erased people again, and a
guarded log never appends to a lost chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio

from handlers.erasure_person import candidate_hashes
from schemas.enums import ContactPointKind, SuppressionScope
from schemas.errors import TransientError
from tests.fixtures.kafka import create_lawful_topics, produce
from workers.erasure.recovery import restore_erasure_state
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog, verify_entries
from workers.settings import KafkaSettings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def fields(n: int, hashes: list[str]) -> dict[str, object]:
    return {
        "request_id": f"er-{n}",
        "individual_id": f"0PK00000000000{n}",
        "received_at": NOW,
        "executed_at": NOW,
        "policy_version": "1",
        "objects": [],
        "categories": [],
        "identifier_hashes": hashes,
        "suppression_scope": "DM_ALL" if hashes else None,
        "actor": "test",
        "service": "lawful-erasure",
    }


async def lose(client: redis.asyncio.Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    await client.delete(*keys)


async def test_chain_and_suppression_come_back_from_the_topic(
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_client: redis.asyncio.Redis,
    redis_prefix: str,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    kafka = KafkaSettings(bootstrap=f"kafka://{kafka_bootstrap}", topic_prefix=topic_prefix)
    log = TombstoneLog(redis_client, redis_prefix, None, guarded=True)
    suppression = SuppressionList(redis_client, redis_prefix, KEY)
    assert await restore_erasure_state(redis_client, log, suppression, kafka)  # first start
    email = sorted(candidate_hashes(ContactPointKind.EMAIL, "ann@example.org", KEY))
    written = []
    for n in range(3):
        entry = await log.append(fields(n, email if n == 1 else []))
        written.append(entry)
        if n == 1:
            await suppression.add(email, SuppressionScope.DM_ALL)
    # published as the executor does, in another order than the chain (partitions by key)
    await produce(
        kafka_bootstrap,
        f"{topic_prefix}lawful.tombstones.v1",
        [e.model_dump_json().encode() for e in reversed(written)],
    )
    await lose(redis_client, redis_prefix)
    with pytest.raises(TransientError):  # a lost chain is never forked from a new genesis
        await log.append(fields(3, []))
    assert await suppression.match(ContactPointKind.EMAIL, "ann@example.org") is None
    assert await restore_erasure_state(redis_client, log, suppression, kafka)
    entries = await log.entries()
    assert [e["request_id"] for e in entries] == ["er-0", "er-1", "er-2"]
    assert verify_entries(entries) is None
    assert await suppression.match(ContactPointKind.EMAIL, "ann@example.org") is not None
    fourth = await log.append(fields(3, []))
    assert fourth.sequence == 3
    assert fourth.prev_hash == written[-1].hash
    assert not await restore_erasure_state(redis_client, log, suppression, kafka)  # whole
