"""The Tansu fixture: topics get their declared partitions and keyed messages round-trip."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]

from tests.fixtures.kafka import create_lawful_topics, create_topics
from workers.topics import build_topics, topic_name

pytestmark = pytest.mark.integration


async def test_lawful_topics_have_declared_partitions(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = await create_lawful_topics(kafka_bootstrap, topic_prefix, partitions=3)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        found = {name: len(consumer.partitions_for_topic(name) or ()) for name in names}
    finally:
        await consumer.stop()
    expected = {topic_name(spec, topic_prefix): spec.partitions for spec in build_topics(3)}
    assert found == expected


async def test_keyed_messages_round_trip(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}roundtrip"
    await create_topics(kafka_bootstrap, [topic], partitions=2)
    await create_topics(kafka_bootstrap, [topic], partitions=2)  # existing topics are kept
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for index in range(10):
            await producer.send_and_wait(topic, f"v{index}".encode(), key=f"k{index % 3}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        received: list[tuple[bytes, bytes, int]] = []
        while len(received) < 10:
            batch = await consumer.getmany(timeout_ms=2000)
            assert batch, "no messages within 2 s"
            for records in batch.values():
                received.extend((r.key, r.value, r.partition) for r in records)
    finally:
        await consumer.stop()
    assert sorted(value for _, value, _ in received) == sorted(f"v{i}".encode() for i in range(10))
    partitions_by_key: dict[bytes, set[int]] = {}
    for key, _, partition in received:
        partitions_by_key.setdefault(key, set()).add(partition)
    assert all(len(parts) == 1 for parts in partitions_by_key.values())
