"""workers/topics.py: the declared topics, their policies and the changelog rule."""

from __future__ import annotations

import dataclasses

import pytest

from workers.settings import KafkaSettings
from workers.topics import (
    APP_ID,
    DEFAULT_PARTITIONS,
    INPUT_TOPICS,
    TABLE_SOURCES,
    TOPICS,
    TopicSpec,
    build_topics,
    changelog_name,
    leader_topic_name,
    topic_by_name,
    topic_name,
)

pytestmark = pytest.mark.unit

EXPECTED_APP_TOPICS = {
    "lawful.sf-cdc.v1",
    "lawful.sf-events.v1",
    "lawful.person-events.v1",
    "lawful.permissions.v1",
    "lawful.permission-changes.v1",
    "lawful.alerts.v1",
    "lawful.audit.v1",
    "lawful.dlq.v1",
    "lawful.tombstones.v1",
    "lawful.erasure-notifications.v1",
}
EXPECTED_TABLES = {"records", "persons", "alert-dedupe", "erasures"}


def test_every_required_topic_is_declared_once() -> None:
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names))
    assert {spec.name for spec in TOPICS if not spec.internal} == EXPECTED_APP_TOPICS
    internal = {spec.name for spec in TOPICS if spec.internal}
    assert {f"lawful-worker-{table}-changelog" for table in EXPECTED_TABLES} <= internal
    assert leader_topic_name() in internal


def test_default_partitions_follow_the_settings_default() -> None:
    assert DEFAULT_PARTITIONS == KafkaSettings().partitions == 8
    assert all(spec.partitions == 8 for spec in TOPICS if spec.name != leader_topic_name())


def test_only_permissions_and_changelogs_are_compacted() -> None:
    compacted = {spec.name for spec in TOPICS if spec.compacted}
    assert compacted == {"lawful.permissions.v1"} | {changelog_name(t) for t in EXPECTED_TABLES}


def test_retention_is_set_exactly_on_topics_that_are_not_compacted() -> None:
    for spec in TOPICS:
        assert (spec.retention_ms is None) == spec.compacted, spec.name
        if spec.retention_ms is not None:
            assert spec.retention_ms > 0


def test_tombstones_keep_longest() -> None:
    tombstones = topic_by_name("lawful.tombstones.v1")
    assert not tombstones.compacted
    assert tombstones.retention_ms is not None
    others = [s.retention_ms for s in TOPICS if s.retention_ms and s is not tombstones]
    assert tombstones.retention_ms > max(others)


@pytest.mark.parametrize("partitions", [1, 3, 12])
def test_changelogs_follow_their_source_partitions(partitions: int) -> None:
    topics = {spec.name: spec for spec in build_topics(partitions)}
    for table, source in TABLE_SOURCES.items():
        assert topics[changelog_name(table)].partitions == topics[source].partitions == partitions
    assert topics[leader_topic_name()].partitions == 1


def test_table_sources_are_input_topics() -> None:
    assert set(TABLE_SOURCES) == EXPECTED_TABLES
    assert set(TABLE_SOURCES.values()) <= set(INPUT_TOPICS)


def test_names_and_prefix() -> None:
    assert changelog_name("records") == f"{APP_ID}-records-changelog"
    assert leader_topic_name() == "lawful-worker-__assignor-__leader"
    spec = topic_by_name("lawful.alerts.v1")
    assert topic_name(spec) == "lawful.alerts.v1"
    assert topic_name(spec, prefix="t-123.") == "t-123.lawful.alerts.v1"
    with pytest.raises(KeyError):
        topic_by_name("lawful.nope.v1")


def test_spec_is_frozen() -> None:
    spec = TOPICS[0]
    assert isinstance(spec, TopicSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.partitions = 99  # type: ignore[misc]  # the assignment must fail
