"""`lawful worker` as a real process against Tansu, Redis and the emulator (one worker for the
module): CDC in -> permissions and changes out, poison messages -> DLQ, gap -> REST re-read,
health and metrics, no personal data in logs, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import redis
import requests

from schemas.codes import Reason
from schemas.messages import DeadLetter, PermissionChange, PermissionsSnapshot
from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import create_lawful_topics, produce, read_values
from tests.integration.lawful_process import LawfulProcess, lawful_env
from tests.integration.test_pipeline_support import (
    Catalogue,
    expected_cells,
    individual_id,
    snapshot_cells,
)
from tests.unit.test_pipeline_support import cdc, consent_fields, individual_fields

pytestmark = pytest.mark.integration

POISON = 1000


class World:
    """The module's worker process and the names it uses."""

    def __init__(  # noqa: PLR0917 - the world's parts
        self,
        worker: LawfulProcess,
        prefix: str,
        bootstrap: str,
        catalogue: Catalogue,
        redis_url: str,
        redis_prefix: str,
    ) -> None:
        self.worker = worker
        self.prefix = prefix
        self.bootstrap = bootstrap
        self.catalogue = catalogue
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"


@pytest.fixture(scope="module")
def world(
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    prefix = f"w{uuid.uuid4().hex[:10]}."
    redis_prefix = f"lawful-test:{uuid.uuid4().hex}:"
    asyncio.run(create_lawful_topics(kafka_bootstrap, prefix, partitions=4))
    catalogue = Catalogue.create(emulator)
    log_dir = tmp_path_factory.mktemp("worker")
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        **worker_test_env(log_dir),
    )
    worker = LawfulProcess(["worker", "--tansu-compat"], env, log_dir / "worker.log").start()
    try:
        worker.wait_ready(60)
        yield World(worker, prefix, kafka_bootstrap, catalogue, redis_url, redis_prefix)
        assert worker.terminate(60) == 0, worker.log()  # graceful SIGTERM
    finally:
        worker.kill()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{redis_prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


def worker_test_env(data_dir: Path) -> dict[str, str]:
    """broker.md §9 test settings (Faust's own variables) plus lawful's test settings."""
    return {
        "LAWFUL_KAFKA__PARTITIONS": "4",
        "LAWFUL_DATA_DIR": str(data_dir),
        "BROKER_SESSION_TIMEOUT": "6",
        "BROKER_REBALANCE_TIMEOUT": "3",
        "BROKER_HEARTBEAT_INTERVAL": "1",
    }


async def test_cdc_messages_become_permissions_and_changes(world: World) -> None:
    now = datetime.now(UTC)
    people = [individual_id(f"a{n}") for n in range(20)]
    withdrawn = set(people[::4])
    events = []
    for n, person in enumerate(people):
        consent = f"0ZY{uuid.uuid4().hex[:12]}AAA"
        events.append(cdc("Individual", "CREATE", person, individual_fields("UK"), at=now))
        fields = consent_fields(world.catalogue.purpose_id, party=person, captured=now)
        events.append(cdc("ContactPointTypeConsent", "CREATE", consent, fields, at=now))
        if person in withdrawn:
            update = {"PrivacyConsentStatus": "OptOut"}
            events.append(
                cdc(
                    "ContactPointTypeConsent",
                    "UPDATE",
                    consent,
                    update,
                    at=now + timedelta(seconds=n + 1),
                )
            )
    await produce(world.bootstrap, world.topic("lawful.sf-cdc.v1"), events)

    snapshots = await read_values(
        world.bootstrap,
        world.topic("lawful.permissions.v1"),
        PermissionsSnapshot,
        done=lambda got: _settled(got, people, world.catalogue.purpose_id, withdrawn),
    )
    latest = {s.individual_id: s for s in snapshots}
    expected = expected_cells(events, world.catalogue, now)
    for person in people:
        assert snapshot_cells(latest[person], world.catalogue.purpose_id) == expected[person]
        email = _email_cell(latest[person], world.catalogue.purpose_id)
        if person in withdrawn:
            assert not email.permitted
        else:
            assert (email.permitted, email.reason) == (True, Reason.CONSENT_ACTIVE)
    purpose = world.catalogue.purpose_id
    changes = await read_values(
        world.bootstrap,
        world.topic("lawful.permission-changes.v1"),
        PermissionChange,
        done=lambda got: set(_last_email_change(got, purpose)) >= set(people),
    )
    last = _last_email_change(changes, purpose)
    for person in people:
        change = last[person]
        assert change.trigger.record_id is not None
        if person in withdrawn:
            assert not change.after.permitted
        else:
            assert (change.after.permitted, change.after.reason) == (True, Reason.CONSENT_ACTIVE)


def _last_email_change(
    changes: list[PermissionChange], purpose_id: str
) -> dict[str, PermissionChange]:
    """The latest change of each person's (purpose, EMAIL) cell (one partition per person)."""
    return {
        c.individual_id: c for c in changes if c.purpose_id == purpose_id and c.channel == "EMAIL"
    }


def _email_cell(snapshot: PermissionsSnapshot, purpose_id: str) -> Any:
    (cell,) = [c for c in snapshot.cells if c.purpose_id == purpose_id and c.channel == "EMAIL"]
    return cell


def _settled(
    got: list[PermissionsSnapshot], people: list[str], purpose_id: str, withdrawn: set[str]
) -> bool:
    latest = {s.individual_id: s for s in got}
    if not set(people) <= set(latest):
        return False
    for person in people:
        cells = [
            c for c in latest[person].cells if c.purpose_id == purpose_id and c.channel == "EMAIL"
        ]
        if not cells or cells[0].permitted == (person in withdrawn):
            return False
    return True


def _scheduled(client: redis.Redis, world: World) -> dict[str, float]:
    """Every wake-up in the worker's schedule (all four partitions)."""
    found: dict[str, float] = {}
    for partition in range(4):
        key = f"{world.redis_prefix}wakeups:{partition}"
        rows = cast(list[tuple[bytes, float]], client.zrange(key, 0, -1, withscores=True))
        found.update({member.decode(): score for member, score in rows})
    return found


def _wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


async def test_a_lost_wake_up_schedule_is_restored_from_the_persons_table(world: World) -> None:
    now = datetime.now(UTC)
    people = [individual_id(f"w{n}") for n in range(6)]
    events = []
    for person in people:
        consent = f"0ZY{uuid.uuid4().hex[:12]}AAA"
        events.append(cdc("Individual", "CREATE", person, individual_fields("UK"), at=now))
        fields = consent_fields(world.catalogue.purpose_id, party=person, captured=now)
        events.append(cdc("ContactPointTypeConsent", "CREATE", consent, fields, at=now))
    await produce(world.bootstrap, world.topic("lawful.sf-cdc.v1"), events)
    client = redis.Redis.from_url(world.redis_url)
    try:
        before = _wait_for(lambda: (got := _scheduled(client, world)).keys() >= set(people) and got)
        keys = list(client.scan_iter(match=f"{world.redis_prefix}wakeups:*", count=500))
        assert keys
        client.delete(*keys)  # Redis lost the schedule (and the markers)
        after = _wait_for(lambda: (got := _scheduled(client, world)).keys() >= set(people) and got)
        assert {p: after[p] for p in people} == {p: before[p] for p in people}
        assert "wakeups_restored" in world.worker.log()
    finally:
        client.close()


async def test_lost_record_links_are_restored_from_the_records_table(world: World) -> None:
    now = datetime.now(UTC)
    links = {f"003{uuid.uuid4().hex[:12]}AAA": individual_id(f"l{n}") for n in range(5)}
    events = [
        cdc("Contact", "CREATE", contact, {"IndividualId": person, "LastName": "X"}, at=now)
        for contact, person in links.items()
    ]
    await produce(world.bootstrap, world.topic("lawful.sf-cdc.v1"), events)
    client = redis.Redis.from_url(world.redis_url)

    def stored() -> bool:
        return all(
            client.sismember(f"{world.redis_prefix}links:{contact}", person)
            for contact, person in links.items()
        )

    try:
        _wait_for(stored)
        keys = list(client.scan_iter(match=f"{world.redis_prefix}links*", count=500))
        client.delete(*keys)  # Redis lost the links (and the markers)
        assert not stored()
        _wait_for(stored)
        assert "links_restored" in world.worker.log()
    finally:
        client.close()


async def test_poison_messages_go_to_the_dlq_without_stopping_the_worker(world: World) -> None:
    now = datetime.now(UTC)
    people = [individual_id(f"p{n}") for n in range(50)]
    good = [
        cdc("Individual", "CREATE", person, individual_fields("UK"), at=now) for person in people
    ]
    bad = [
        b"\x00not json %d" % n if n % 2 else b'{"unknown": "schema", "n": %d}' % n
        for n in range(POISON)
    ]
    mixed: list[Any] = []
    for n in range(POISON):
        mixed.append(bad[n])
        if n % 20 == 0:
            mixed.append(good[n // 20])
    await produce(world.bootstrap, world.topic("lawful.sf-cdc.v1"), mixed)
    letters = await read_values(
        world.bootstrap,
        world.topic("lawful.dlq.v1"),
        DeadLetter,
        done=lambda got: len([d for d in got if d.topic.endswith("sf-cdc.v1")]) >= POISON,
        within=90,
    )
    from_cdc = [d for d in letters if d.topic == world.topic("lawful.sf-cdc.v1")]
    assert len(from_cdc) == POISON
    assert {d.error_type for d in from_cdc} == {"ValidationError"}
    snapshots = await read_values(
        world.bootstrap,
        world.topic("lawful.permissions.v1"),
        PermissionsSnapshot,
        done=lambda got: set(people) <= {s.individual_id for s in got},
    )
    assert set(people) <= {s.individual_id for s in snapshots}
    metrics = world.worker.metrics()
    assert _dlq_total(metrics) == POISON
    assert world.worker.proc is not None
    assert world.worker.proc.poll() is None
    assert "crashed" not in world.worker.log().lower()


def _dlq_total(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("lawful_dlq_events_total{")
    )


async def test_gap_event_triggers_a_rest_re_read_that_converges(
    world: World, emulator: EmulatorHandle
) -> None:
    now = datetime.now(UTC)
    sf = emulator.salesforce()
    try:
        person = sobject(sf, "Individual").create(
            {"LastName": "Gap", "Lawful_Jurisdiction__c": "UK", "BirthDate": "1980-05-17"}
        )["id"]
        consent = sobject(sf, "ContactPointTypeConsent").create(
            {
                "Name": "gap consent",
                "PartyId": person,
                "DataUsePurposeId": world.catalogue.purpose_id,
                "ContactPointType": "Email",
                "Lawful_Channel__c": "EMAIL",
                "PrivacyConsentStatus": "OptIn",
                "CaptureDate": now.isoformat(),
                "CaptureSource": "https://example.org/form",
                "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
                "Lawful_Notice_Version__c": "v1",
            }
        )["id"]
    finally:
        sf.session.close()
    # The stream lost both changes: only gap events arrive; the worker must re-read from REST.
    gaps = [
        cdc("Individual", "GAP_CREATE", person, at=now),
        cdc("ContactPointTypeConsent", "GAP_CREATE", consent, at=now),
    ]
    await produce(world.bootstrap, world.topic("lawful.sf-cdc.v1"), gaps)
    snapshots = await read_values(
        world.bootstrap,
        world.topic("lawful.permissions.v1"),
        PermissionsSnapshot,
        done=lambda got: any(
            s.individual_id == person and _has_permitted_email(s, world.catalogue.purpose_id)
            for s in got
        ),
        within=60,
    )
    latest = [s for s in snapshots if s.individual_id == person][-1]
    assert _email_cell(latest, world.catalogue.purpose_id).reason == Reason.CONSENT_ACTIVE
    fed_back = await read_values(
        world.bootstrap,
        world.topic("lawful.sf-cdc.v1"),
        dict,
        done=lambda got: sum(1 for v in got if v.get("origin") == "resync") >= 2,
    )
    assert {v["record_id"] for v in fed_back if v.get("origin") == "resync"} >= {person, consent}


def _has_permitted_email(snapshot: PermissionsSnapshot, purpose_id: str) -> bool:
    return any(
        c.purpose_id == purpose_id and c.channel == "EMAIL" and c.permitted for c in snapshot.cells
    )


def test_health_metrics_and_logs(world: World) -> None:
    base = f"http://127.0.0.1:{world.worker.port}"
    assert requests.get(f"{base}/livez", timeout=2).status_code == 200
    assert requests.get(f"{base}/readyz", timeout=2).json() == {"status": "ready"}
    metrics = requests.get(f"{base}/metrics", timeout=2).text
    for name in (
        "lawful_build_info",
        "lawful_handler_duration_seconds_bucket",
        'lawful_events_in_total{topic="lawful.sf-cdc.v1"}',
        'lawful_events_out_total{topic="lawful.permissions.v1"}',
        "lawful_alerts_emitted_total",
    ):
        assert name in metrics
    log = world.worker.log_path.read_text(errors="replace")
    assert "Alex" not in log  # individual_fields() names: personal values never logged
    assert "Doe" not in log
