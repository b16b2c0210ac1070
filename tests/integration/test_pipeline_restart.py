"""kill -9 of `lawful worker` mid-stream, then a restart: the final permissions equal a
from-scratch recompute, and every alert reaches the alert topic once (by its event id)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from schemas.codes import AlertType
from schemas.messages import AlertMessage, DeadLetter, PermissionsSnapshot, SalesforceEvent
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, produce, read_available, read_values
from tests.integration.lawful_process import LawfulProcess, lawful_env
from tests.integration.test_pipeline_support import (
    Catalogue,
    Cell,
    expected_cells,
    individual_id,
    snapshot_cells,
)
from tests.integration.test_pipeline_worker import worker_test_env
from tests.unit.test_pipeline_support import cdc, consent_fields, individual_fields

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PEOPLE = 300


@pytest.fixture
def isolated(redis_url: str) -> Iterator[tuple[str, str]]:
    """(topic prefix, redis prefix) for one worker group; Redis keys removed afterwards."""
    redis_prefix = f"lawful-test:{uuid.uuid4().hex}:"
    yield f"r{uuid.uuid4().hex[:10]}.", redis_prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{redis_prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def stream(catalogue: Catalogue, now: datetime) -> list[SalesforceEvent]:
    """Per person: the Individual, an e-mail consent about to lapse (alerts due), a re-capture
    for every third person (its alerts must not fire later)."""
    events: list[SalesforceEvent] = []
    captured = now - timedelta(days=710)  # 24-month decay: lapses in about 20 days
    for n in range(PEOPLE):
        person = individual_id(f"k{n}")
        consent = f"0ZY{uuid.uuid4().hex[:12]}AAA"
        events.append(cdc("Individual", "CREATE", person, individual_fields("UK"), at=captured))
        fields = consent_fields(catalogue.purpose_id, party=person, captured=captured)
        events.append(cdc("ContactPointTypeConsent", "CREATE", consent, fields, at=captured))
        if n % 3 == 0:
            update = {"PrivacyConsentStatus": "OptOut"}
            events.append(cdc("ContactPointTypeConsent", "UPDATE", consent, update, at=now))
    return events


@pytest.mark.parametrize(
    "batch_max",
    [None, 25],
    ids=["default-batches", "small-batches"],  # 25: bundles span pipelined rounds
)
async def test_kill_9_mid_stream_then_restart_converges(
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    redis_url: str,
    isolated: tuple[str, str],
    tmp_path: Path,
    *,
    batch_max: int | None,
) -> None:
    prefix, redis_prefix = isolated
    await create_lawful_topics(kafka_bootstrap, prefix, partitions=4)
    catalogue = Catalogue.create(emulator)
    now = datetime.now(UTC)
    events = stream(catalogue, now)
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        **worker_test_env(tmp_path),
    )
    if batch_max is not None:
        env["LAWFUL_PIPELINE__BATCH_MAX"] = str(batch_max)
    permissions = f"{prefix}lawful.permissions.v1"
    first = LawfulProcess(["worker", "--tansu-compat"], env, tmp_path / "first.log").start()
    try:
        first.wait_ready(60)
        await produce(kafka_bootstrap, f"{prefix}lawful.sf-cdc.v1", events)
        await read_values(
            kafka_bootstrap, permissions, dict, done=lambda got: len(got) >= PEOPLE // 4
        )
    finally:
        first.kill()  # SIGKILL mid-stream: nothing flushed, nothing committed on the way out
    second = LawfulProcess(["worker", "--tansu-compat"], env, tmp_path / "second.log").start()
    try:
        second.wait_ready(60)
        expected = expected_cells(events, catalogue, datetime.now(UTC))
        try:
            snapshots = await read_values(
                kafka_bootstrap,
                permissions,
                PermissionsSnapshot,
                done=lambda got: _matches(got, expected, catalogue.purpose_id),
                within=120,
            )
        except AssertionError as exc:
            raise AssertionError(
                await _diagnose(kafka_bootstrap, prefix, expected, catalogue.purpose_id)
            ) from exc
        latest = {s.individual_id: s for s in snapshots}
        assert {p: snapshot_cells(s, catalogue.purpose_id) for p, s in latest.items()} == expected
        kept = {p for p, cells in expected.items() if any(c[2] for c in cells)}
        try:
            alerts = await read_values(
                kafka_bootstrap,
                f"{prefix}lawful.alerts.v1",
                AlertMessage,
                done=lambda got: _expiring_people(got) >= kept,
                within=60,
            )
        except AssertionError as exc:
            second.dump_stacks()
            raise AssertionError(
                await _diagnose_alerts(kafka_bootstrap, redis_url, isolated, kept)
            ) from exc
        await asyncio.sleep(3)  # a late duplicate would show up now
        alerts = await read_values(
            kafka_bootstrap,
            f"{prefix}lawful.alerts.v1",
            AlertMessage,
            done=lambda got: len(got) >= len(alerts),
        )
        by_id: dict[str, list[AlertMessage]] = {}
        for alert in alerts:
            by_id.setdefault(alert.event_id, []).append(alert)
        assert all(len({a.model_dump_json() for a in same}) == 1 for same in by_id.values())
        distinct = [same[0] for same in by_id.values()]
        expiring = [a for a in distinct if a.type is AlertType.CONSENT_EXPIRING]
        assert {a.data.individual_id for a in expiring} == kept
        per_key = [
            (a.data.individual_id, a.data.purpose_id, a.data.channel, a.data.lead_days)
            for a in expiring
        ]
        assert len(per_key) == len(set(per_key))  # one alert per person, cell and lead time
        assert not any(
            a.data.individual_id not in kept
            for a in distinct
            if a.type is AlertType.CONSENT_EXPIRING
        )
        assert second.terminate(60) == 0
    finally:
        second.kill()


def _matches(
    got: list[PermissionsSnapshot], expected: dict[str, set[Cell]], purpose_id: str
) -> bool:
    latest = {s.individual_id: s for s in got}
    return set(latest) >= set(expected) and all(
        snapshot_cells(latest[p], purpose_id) == cells for p, cells in expected.items()
    )


def _expiring_people(alerts: list[AlertMessage]) -> set[str]:
    return {a.data.individual_id for a in alerts if a.type is AlertType.CONSENT_EXPIRING}


async def _diagnose(
    bootstrap: str, prefix: str, expected: dict[str, set[Cell]], purpose_id: str
) -> str:
    """What differs from the recompute (for the failure message)."""
    got = await read_available(bootstrap, f"{prefix}lawful.permissions.v1", PermissionsSnapshot)
    letters = await read_available(bootstrap, f"{prefix}lawful.dlq.v1", DeadLetter)
    latest = {s.individual_id: s for s in got}
    missing = sorted(set(expected) - set(latest))
    wrong = [
        p for p in expected if p in latest and snapshot_cells(latest[p], purpose_id) != expected[p]
    ]
    example = (
        f"{snapshot_cells(latest[wrong[0]], purpose_id)} != {expected[wrong[0]]}" if wrong else ""
    )
    return (
        f"{len(got)} snapshots, {len(missing)} persons missing, {len(wrong)} differ {example}; "
        f"dead letters: {[d.error for d in letters[:3]]}; {await _offsets(bootstrap, prefix)}"
    )


async def _diagnose_alerts(
    bootstrap: str, redis_url: str, isolated: tuple[str, str], kept: set[str]
) -> str:
    """For persons without their CONSENT_EXPIRING alert: their person messages by kind, their
    alerts by type, and their wake-ups in Redis (for the failure message)."""
    prefix, redis_prefix = isolated
    alerts = await read_available(bootstrap, f"{prefix}lawful.alerts.v1", AlertMessage)
    missing = sorted(kept - _expiring_people(alerts))
    values = await read_available(bootstrap, f"{prefix}lawful.person-events.v1", dict)
    messages = [m for v in values for m in (v["messages"] if v.get("kind") == "BATCH" else [v])]
    client = redis.Redis.from_url(redis_url)
    try:
        wakeups = {
            key.decode(): dict(client.zrange(key, 0, -1, withscores=True))  # type: ignore[arg-type]
            for key in client.scan_iter(match=f"{redis_prefix}wakeups:*")
        }
    finally:
        client.close()
    lines = [f"{len(missing)} of {len(kept)} persons lack CONSENT_EXPIRING"]
    for person in missing[:4]:
        kinds = [m.get("kind") for m in messages if m.get("individual_id") == person]
        types = [a.type.value for a in alerts if a.data.individual_id == person]
        scheduled = {k: v[person.encode()] for k, v in wakeups.items() if person.encode() in v}
        lines.append(f"{person}: messages {kinds}, alerts {types}, wake-ups {scheduled}")
    return "; ".join(lines)


async def _offsets(bootstrap: str, prefix: str) -> str:
    """The worker group's committed offsets and the input topics' message counts."""
    group = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"{prefix}lawful-worker", enable_auto_commit=False
    )
    await group.start()
    try:
        committed = {
            f"{topic}:{n}": await group.committed(TopicPartition(f"{prefix}{topic}", n))
            for topic in ("lawful.sf-cdc.v1", "lawful.person-events.v1")
            for n in range(4)
        }
    finally:
        await group.stop()
    counts = {}
    for topic in ("lawful.sf-cdc.v1", "lawful.person-events.v1"):
        values = await read_available(bootstrap, f"{prefix}{topic}", dict)
        counts[topic] = len(values)
    return f"committed {committed}; messages {counts}"
