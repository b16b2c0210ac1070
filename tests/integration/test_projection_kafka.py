"""Projector on real Tansu and Redis: snapshots on the topic -> search answers; Redis flushed ->
the projection is rebuilt from Kafka and answers the same; an older snapshot never wins."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from schemas.codes import AlertType, Reason
from schemas.enums import Channel
from schemas.messages import AlertMessage
from schemas.outputs import Alert
from tests.component.test_projection_builders import NOW, cell, days, snapshot
from tests.fixtures.kafka import create_lawful_topics
from workers.bridge.kafka import build_producer, lawful_topic
from workers.projection.alerts import recent_alerts
from workers.projection.consumer import Projector
from workers.projection.keys import Keys
from workers.projection.query import SearchQuery
from workers.projection.search import run_search
from workers.settings import KafkaSettings

pytestmark = pytest.mark.integration

E = Channel.EMAIL
QUERIES = [
    {"purpose": "pet-insurance", "channel": "EMAIL", "permitted": "true"},
    {
        "purpose": "insurance",
        "expires_from": days(0).isoformat(),
        "expires_to": days(7).isoformat(),
    },
    {"reason": "CONSENT_WITHDRAWN"},
    {"jurisdiction": "FR"},
    {},
]


def messages() -> list[tuple[str, bytes]]:
    persons = [
        snapshot(f"IND-{i:02}", cell("pet-insurance", E, valid_until=days(i)), at=NOW)
        for i in range(1, 11)
    ]
    newer = snapshot(
        "IND-01",
        cell("pet-insurance", E, permitted=False, reason=Reason.CONSENT_WITHDRAWN),
        at=days(1),
        jurisdiction="FR",
    )
    older = snapshot("IND-01", cell("pet-insurance", E), at=days(-1))  # arrives last, loses
    ordered = [*persons, newer, older]
    return [(s.individual_id, s.model_dump_json().encode()) for s in ordered]


def alert() -> AlertMessage:
    data = Alert(
        alert_key="k1",
        type=AlertType.CONSENT_EXPIRING,
        individual_id="IND-02",
        due_at=days(2),
        purpose_id="pet-insurance",
        channel=E,
    )
    return AlertMessage(event_id="k1", occurred_at=NOW, type=AlertType.CONSENT_EXPIRING, data=data)


async def answers(client: redis.asyncio.Redis, keys: Keys) -> list[list[str]]:
    found = []
    for filters in QUERIES:
        page = await run_search(client, keys, SearchQuery.model_validate(filters), ttl=1)
        found.append([p.individual_id for p in page.persons])
    return found


async def test_projection_from_kafka_and_rebuild_after_flush(
    kafka_bootstrap: str, topic_prefix: str, redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix, partitions=2)
    kafka = KafkaSettings(bootstrap=f"kafka://{kafka_bootstrap}", topic_prefix=topic_prefix)
    producer = build_producer(kafka)
    await producer.start()
    try:
        for key, value in messages():
            await producer.send_and_wait(
                lawful_topic(kafka, "lawful.permissions.v1"), value, key.encode()
            )
        for _ in range(2):  # a replayed alert is stored once
            await producer.send_and_wait(
                lawful_topic(kafka, "lawful.alerts.v1"),
                alert().model_dump_json().encode(),
                b"IND-02",
            )
    finally:
        await producer.stop()

    keys = Keys(redis_prefix)
    projector = Projector(redis_client, keys, kafka)
    stop = asyncio.Event()
    task = asyncio.create_task(projector.run(stop))
    try:
        await asyncio.wait_for(projector.caught_up.wait(), 60)
        before = await answers(redis_client, keys)
        expected_window = ["IND-02", "IND-03", "IND-04", "IND-05", "IND-06"]
        assert before == [
            [f"IND-{i:02}" for i in range(2, 11)],
            expected_window,
            ["IND-01"],
            ["IND-01"],
            [f"IND-{i:02}" for i in range(1, 11)],
        ]
        assert [a.event_id for a in await recent_alerts(redis_client, keys, 10)] == ["k1"]

        flushed = [k async for k in redis_client.scan_iter(match=f"{redis_prefix}*")]
        await redis_client.delete(*flushed)
        assert projector.rebuilds == 1  # the first start found no marker
        for _ in range(200):
            await asyncio.sleep(0.1)
            if projector.rebuilds == 2 and projector.caught_up.is_set():
                break
        assert projector.rebuilds == 2
        assert await answers(redis_client, keys) == before
        assert len(await recent_alerts(redis_client, keys, 10)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
