"""The Faust app `lawful-worker`, built from `Settings` (broker.md §12 throughput settings).

Production defaults only: tests and the demo set Faust's own env variables (BROKER_SESSION_TIMEOUT
and friends, broker.md §9), which Faust lets override these keyword arguments.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Any

import faust

from workers.pipeline import delivery
from workers.pipeline.fetch import FastFetchApp
from workers.settings import KafkaSettings, Settings
from workers.topics import APP_ID, INPUT_TOPICS, TOPICS, topic_name


def app_id(settings: Settings) -> str:
    """The group id and prefix of Faust's internal topics (tests prefix it like the topics)."""
    return f"{settings.kafka.topic_prefix}{APP_ID}"


def broker_credentials(kafka: KafkaSettings) -> Any:
    """Faust credentials for SASL and/or TLS, or None for PLAINTEXT."""
    protocol = kafka.security_protocol.upper()
    context: ssl.SSLContext | None = None
    if protocol in {"SSL", "SASL_SSL"}:
        context = ssl.create_default_context(cafile=str(kafka.ca_file) if kafka.ca_file else None)
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            ssl_context=context,
            mechanism=kafka.sasl_mechanism or "PLAIN",
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def instance_id(settings: Settings) -> str | None:
    """Static group membership id: the setting, else the pod name (downward API)."""
    return settings.pipeline.instance_id or os.environ.get("POD_NAME") or None


def build_faust_app(settings: Settings) -> faust.App:
    """The Faust app with lawful's production defaults (no agents yet)."""
    pipeline = settings.pipeline
    if pipeline.delivery_patch:
        delivery.apply()
    datadir = settings.data_dir / "faust"
    datadir.mkdir(parents=True, exist_ok=True)
    return FastFetchApp(
        app_id(settings),
        fetch_max_wait_ms=pipeline.fetch_max_wait_ms,
        broker=settings.kafka.bootstrap,
        broker_credentials=broker_credentials(settings.kafka),
        store="memory://",
        topic_allow_declare=False,
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=1,
        consumer_group_instance_id=instance_id(settings),
        stream_buffer_maxsize=pipeline.stream_buffer_maxsize,
        producer_linger=pipeline.producer_linger,
        producer_max_batch_size=pipeline.producer_max_batch_size,
        cython_optimizations=pipeline.cython_optimizations,
        table_standby_replicas=0,
        web_enabled=True,
        web_bind=settings.web.host,
        web_host=settings.web.host,
        web_port=settings.web.port,
        worker_redirect_stdouts=False,
        datadir=str(datadir),
        autodiscover=False,
    )


@dataclass
class PipelineTopics:
    """Faust topic objects by lawful's topic name (without prefix); values and keys are raw."""

    by_name: dict[str, Any]

    @classmethod
    def declare(cls, app: faust.App, prefix: str) -> PipelineTopics:
        by_name = {
            spec.name: app.topic(
                topic_name(spec, prefix),
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                allow_empty=True,
            )
            for spec in TOPICS
            if not spec.internal
        }
        return cls(by_name)

    def __getitem__(self, name: str) -> Any:
        return self.by_name[name]

    def items(self) -> list[tuple[str, Any]]:
        return list(self.by_name.items())

    def inputs(self) -> tuple[str, ...]:
        return INPUT_TOPICS
