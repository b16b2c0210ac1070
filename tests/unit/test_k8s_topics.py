"""The Strimzi KafkaTopic/KafkaUser resources agree with workers/topics.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from tests.unit.test_k8s_render import OVERLAYS, ROOT, Doc, of_kind, render
from workers.settings import Settings
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


def _acls() -> list[Doc]:
    (user,) = of_kind(render("prod"), "KafkaUser")
    acls: list[Doc] = user["spec"]["authorization"]["acls"]
    return acls


def allowed(acls: list[Doc], resource_type: str, name: str, operation: str) -> bool:
    """Whether an ACL grants `operation` on the topic or group `name` (literal or prefix)."""
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


def _group_ids(model: type[BaseModel]) -> Iterator[str]:
    """Defaults of every `*group_id` setting (the consumer groups the roles join)."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _group_ids(annotation)
        elif name.endswith("group_id"):
            yield str(field.default)


def consumer_groups() -> set[str]:
    """The Faust app id (the worker's group) and every group id in the settings."""
    return {APP_ID, *_group_ids(Settings)}


def test_consumer_groups_of_every_role_are_found() -> None:
    assert consumer_groups() == {
        "lawful-worker",
        "lawful-writeback",
        "lawful-erasure",
        "lawful-suppression",
    }


def test_prod_user_acls_cover_every_topic() -> None:
    acls = _acls()
    assert all("operation" not in acl and acl["operations"] for acl in acls)
    for spec in TOPICS:
        for operation in ("Read", "Write", "Describe"):
            assert allowed(acls, "topic", topic_name(spec), operation), (spec.name, operation)
    assert not any("Create" in acl["operations"] or "All" in acl["operations"] for acl in acls)


@pytest.mark.parametrize("group", sorted(consumer_groups()))
def test_prod_user_may_join_every_consumer_group(group: str) -> None:
    assert allowed(_acls(), "group", group, "Read"), group


def test_prod_user_acls_name_exactly_lawful_topics_and_groups() -> None:
    """Literal ACLs only, and none for a topic or group the code no longer uses."""
    acls = _acls()
    assert all(acl["resource"].get("patternType", "literal") == "literal" for acl in acls)
    topics = {acl["resource"]["name"] for acl in acls if acl["resource"]["type"] == "topic"}
    groups = {acl["resource"]["name"] for acl in acls if acl["resource"]["type"] == "group"}
    assert topics == {topic_name(spec) for spec in TOPICS}
    assert groups == consumer_groups()


def test_every_topic_named_in_the_code_is_declared() -> None:
    """A `"lawful.<name>.v<n>"` literal anywhere in workers/ must be a workers/topics.py topic."""
    declared = {spec.name for spec in TOPICS}
    pattern = re.compile(r"""["'](lawful\.[a-z0-9-]+\.v\d+)["']""")
    found: set[str] = set()
    for path in sorted((ROOT / "workers").rglob("*.py")):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert {"lawful.sf-cdc.v1", "lawful.tombstones.v1", "lawful.permissions.v1"} <= found
    assert found <= declared, sorted(found - declared)
