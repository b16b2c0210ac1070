"""Every Kafka topic lawful reads or writes: the single source for the pipeline and k8s/.

Pure data (no faust import). `k8s/components/strimzi/topics.yaml` declares one `KafkaTopic` per
entry and tests/unit/test_k8s_topics.py checks the two agree.

There are no Faust repartition topics: `lawful.person-events.v1` is the explicit re-key (record ->
Individual id). A `group_by` in the pipeline would need its `<app id>-<name>-repartition` topic
declared here (Strimzi owns topics; lawful's Kafka user may not create them).
"""

from __future__ import annotations

from dataclasses import dataclass

APP_ID = "lawful-worker"
"""Faust app id: the consumer group and the prefix of every Faust-internal topic."""

DEFAULT_PARTITIONS = 8
"""Default partitions of lawful's topics (settings.kafka.partitions)."""

_DAY_MS = 24 * 60 * 60 * 1000
INPUT_RETENTION_MS = 7 * _DAY_MS  # Salesforce keeps events 72 h; Kafka keeps a week for replays
OUTPUT_RETENTION_MS = 30 * _DAY_MS
AUDIT_RETENTION_MS = 400 * _DAY_MS  # a full year of accountability records plus a margin
TOMBSTONE_RETENTION_MS = 10 * 365 * _DAY_MS  # erasure proof must outlive every replay/backfill
LEADER_RETENTION_MS = _DAY_MS


@dataclass(frozen=True)
class TopicSpec:
    """One topic: name without prefix, partitions, cleanup policy and retention."""

    name: str
    partitions: int
    compacted: bool
    retention_ms: int | None  # None: no time-based deletion (compacted topics)
    internal: bool  # created/used by Faust itself (changelogs, leader election)


# Faust table name -> the topic whose stream writes that table. A changelog must have exactly as
# many partitions as its source topic, or Faust crash-loops on PartitionsMismatch.
TABLE_SOURCES: dict[str, str] = {
    "records": "lawful.sf-cdc.v1",
    "persons": "lawful.person-events.v1",
    "alert-dedupe": "lawful.person-events.v1",
    "erasures": "lawful.person-events.v1",
}

INPUT_TOPICS: tuple[str, ...] = (
    "lawful.sf-cdc.v1",
    "lawful.sf-events.v1",
    "lawful.person-events.v1",
)
"""Topics the worker consumes (KEDA scales on the lag of these)."""


def changelog_name(table: str, app_id: str = APP_ID) -> str:
    """Faust's changelog topic name for `table` (`<app id>-<table>-changelog`)."""
    return f"{app_id}-{table}-changelog"


def leader_topic_name(app_id: str = APP_ID) -> str:
    """Faust's leader-election topic (used by `on_leader=True` timers and crontabs)."""
    return f"{app_id}-__assignor-__leader"


def build_topics(partitions: int = DEFAULT_PARTITIONS) -> tuple[TopicSpec, ...]:
    """All topics, with `partitions` for every partitioned one."""

    def stream(name: str, retention_ms: int) -> TopicSpec:
        return TopicSpec(
            name, partitions, compacted=False, retention_ms=retention_ms, internal=False
        )

    declared = (
        stream("lawful.sf-cdc.v1", INPUT_RETENTION_MS),
        stream("lawful.sf-events.v1", INPUT_RETENTION_MS),
        stream("lawful.person-events.v1", INPUT_RETENTION_MS),
        TopicSpec(
            "lawful.permissions.v1", partitions, compacted=True, retention_ms=None, internal=False
        ),
        stream("lawful.permission-changes.v1", OUTPUT_RETENTION_MS),
        stream("lawful.alerts.v1", OUTPUT_RETENTION_MS),
        stream("lawful.audit.v1", AUDIT_RETENTION_MS),
        stream("lawful.dlq.v1", OUTPUT_RETENTION_MS),
        stream("lawful.tombstones.v1", TOMBSTONE_RETENTION_MS),
        stream("lawful.erasure-notifications.v1", OUTPUT_RETENTION_MS),
    )
    by_name = {spec.name: spec for spec in declared}
    changelogs = tuple(
        TopicSpec(
            changelog_name(table),
            by_name[source].partitions,
            compacted=True,
            retention_ms=None,
            internal=True,
        )
        for table, source in TABLE_SOURCES.items()
    )
    leader = TopicSpec(
        leader_topic_name(), 1, compacted=False, retention_ms=LEADER_RETENTION_MS, internal=True
    )
    return (*declared, *changelogs, leader)


TOPICS: tuple[TopicSpec, ...] = build_topics()


def topic_name(spec: TopicSpec, prefix: str = "") -> str:
    """The broker-side name: `prefix` (settings.kafka.topic_prefix) followed by the spec name."""
    return f"{prefix}{spec.name}"


def topic_by_name(name: str) -> TopicSpec:
    """The spec called `name` (without prefix); KeyError if lawful has no such topic."""
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
