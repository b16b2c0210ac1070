"""Kafka client options from Settings: bootstrap lists, SASL credentials, TLS context."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr

from workers.bridge.kafka import bootstrap_servers, connection_options, lawful_topic
from workers.settings import KafkaSettings

pytestmark = pytest.mark.unit


def test_bootstrap_accepts_kafka_urls_and_lists() -> None:
    assert bootstrap_servers("kafka://a:9092;kafka://b:9093") == ["a:9092", "b:9093"]
    assert bootstrap_servers("a:9092, b:9093") == ["a:9092", "b:9093"]


def test_plaintext_has_no_credentials() -> None:
    options = connection_options(KafkaSettings(bootstrap="kafka://k:9092"))
    assert options == {"bootstrap_servers": ["k:9092"], "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_carries_scram_credentials_and_the_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    options = connection_options(
        KafkaSettings(
            bootstrap="kafka://k:9093",
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username="lawful",
            sasl_password=SecretStr("s3cret"),
            ca_file=ca,
        )
    )
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("lawful", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_topics_carry_the_prefix() -> None:
    settings = KafkaSettings(topic_prefix="t1.")
    assert lawful_topic(settings, "lawful.permissions.v1") == "t1.lawful.permissions.v1"
    with pytest.raises(KeyError):
        lawful_topic(settings, "lawful.unknown.v1")
