"""Create topics on a (dev/test) broker: lawful's own (workers/topics.py) or any others."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]

from schemas.errors import TransientError
from workers.topics import build_topics, topic_name

TOPIC_ALREADY_EXISTS = 36


async def create_new_topics(bootstrap: str, topics: list[NewTopic]) -> None:
    """Create `topics`; topics that already exist are kept."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(topics)
    finally:
        await admin.close()
    for name, code, *_ in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise TransientError(f"creating topic {name} failed with Kafka error {code}")


async def create_lawful_topics(bootstrap: str, partitions: int, prefix: str = "") -> list[str]:
    """Create every topic lawful declares, with its partitions; returns their names."""
    topics = [
        NewTopic(
            topic_name(spec, prefix),
            spec.partitions,
            1,
            topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
        )
        for spec in build_topics(partitions)
    ]
    await create_new_topics(bootstrap, topics)
    return [topic.name for topic in topics]
