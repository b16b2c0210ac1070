"""The executor's Kafka side: a JSON producer (the `Producer` protocol) over aiokafka."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from workers.bridge.kafka import build_producer, lawful_topic
from workers.settings import KafkaSettings


class KafkaProducer:
    """Sends pydantic models as JSON to lawful's (prefixed) topics and waits for the ack."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.producer: Any = build_producer(kafka)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, topic: str, key: str, value: BaseModel) -> None:
        await self.producer.send_and_wait(
            lawful_topic(self.kafka, topic),
            value=value.model_dump_json(exclude_none=False).encode(),
            key=key.encode(),
        )
