"""The Strimzi KafkaTopic/KafkaUser resources agree with workers/topics.py."""

from __future__ import annotations

import pytest

from tests.unit.test_k8s_render import OVERLAYS, Doc, of_kind, render
from workers.topics import APP_ID, TABLE_SOURCES, TOPICS, changelog_name, topic_name

pytestmark = pytest.mark.unit


def _topics_by_name(overlay: str) -> dict[str, Doc]:
    resources = of_kind(render(overlay), "KafkaTopic")
    by_name = {doc["spec"]["topicName"]: doc for doc in resources}
    assert len(by_name) == len(resources), "two KafkaTopics declare the same topic"
    return by_name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_declared_topic_has_a_matching_kafka_topic(overlay: str) -> None:
    resources = _topics_by_name(overlay)
    assert set(resources) == {topic_name(spec) for spec in TOPICS}
    for spec in TOPICS:
        resource = resources[topic_name(spec)]
        config = resource["spec"]["config"]
        assert resource["spec"]["partitions"] == spec.partitions, spec.name
        expected_policy = "compact" if spec.compacted else "delete"
        assert config["cleanup.policy"] == expected_policy, spec.name
        assert config.get("retention.ms") == spec.retention_ms, spec.name
        assert resource["metadata"]["labels"]["strimzi.io/cluster"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_changelog_partitions_equal_their_source_topic(overlay: str) -> None:
    resources = _topics_by_name(overlay)
    for table, source in TABLE_SOURCES.items():
        changelog = resources[changelog_name(table)]
        assert changelog["spec"]["partitions"] == resources[source]["spec"]["partitions"], table
        assert changelog["spec"]["config"]["cleanup.policy"] == "compact"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replication_survives_one_broker_loss_where_there_are_brokers(overlay: str) -> None:
    for resource in _topics_by_name(overlay).values():
        replicas = resource["spec"]["replicas"]
        min_isr = resource["spec"]["config"]["min.insync.replicas"]
        assert replicas >= min_isr
        if overlay == "prod":
            assert replicas >= min_isr + 1


def test_prod_user_acls_cover_every_topic_and_the_group() -> None:
    (user,) = of_kind(render("prod"), "KafkaUser")
    acls = user["spec"]["authorization"]["acls"]
    assert all("operation" not in acl and acl["operations"] for acl in acls)

    def allowed(resource_type: str, name: str, operation: str) -> bool:
        for acl in acls:
            resource = acl["resource"]
            if resource["type"] != resource_type or operation not in acl["operations"]:
                continue
            if resource.get("patternType", "literal") == "prefix":
                if name.startswith(resource["name"]):
                    return True
            elif name == resource["name"]:
                return True
        return False

    for spec in TOPICS:
        for operation in ("Read", "Write", "Describe"):
            assert allowed("topic", topic_name(spec), operation), (spec.name, operation)
    assert allowed("group", APP_ID, "Read")
    assert not any("Create" in acl["operations"] or "All" in acl["operations"] for acl in acls)
