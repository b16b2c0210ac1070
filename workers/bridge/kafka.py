"""aiokafka clients from the Settings object (SASL/TLS), shared by the bridge, backfill and
write-back. Producers are never idempotent: Tansu rejects InitProducerId (broker.md §1)."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.helpers import create_ssl_context  # type: ignore[import-untyped]

from workers.settings import KafkaSettings
from workers.topics import topic_by_name, topic_name


def bootstrap_servers(bootstrap: str) -> list[str]:
    """`kafka://a:9092;kafka://b:9092` (or comma-separated) -> ["a:9092", "b:9092"]."""
    parts = bootstrap.replace(";", ",").split(",")
    servers = [part.strip().removeprefix("kafka://") for part in parts]
    return [server for server in servers if server]


def connection_options(kafka: KafkaSettings) -> dict[str, Any]:
    """Bootstrap, security protocol, SASL credentials and TLS context for any aiokafka client."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(kafka.bootstrap),
        "security_protocol": kafka.security_protocol,
    }
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(kafka.ca_file) if kafka.ca_file else None
        )
        options["ssl_context"] = context
    if kafka.sasl_mechanism:
        options["sasl_mechanism"] = kafka.sasl_mechanism
        options["sasl_plain_username"] = kafka.sasl_username
        password = kafka.sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def build_producer(kafka: KafkaSettings, *, linger_ms: int = 5) -> AIOKafkaProducer:
    """acks=all, not idempotent; values and keys are bytes."""
    return AIOKafkaProducer(
        acks="all",
        enable_idempotence=False,
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
        **connection_options(kafka),
    )


def build_consumer(
    kafka: KafkaSettings, topic: str, *, group_id: str, **extra: Any
) -> AIOKafkaConsumer:
    """A group consumer of one lawful topic (prefixed), offsets committed by the caller."""
    return AIOKafkaConsumer(
        lawful_topic(kafka, topic),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **connection_options(kafka),
        **extra,
    )


def lawful_topic(kafka: KafkaSettings, name: str) -> str:
    """The broker-side name of one of lawful's topics (`name` without the prefix)."""
    return topic_name(topic_by_name(name), kafka.topic_prefix)
