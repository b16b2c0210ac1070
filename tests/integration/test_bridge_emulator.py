"""`lawful bridge` as a real process: emulator (CometD) -> Tansu, replay ids in real Redis.

Changes made through simple-salesforce arrive on lawful.sf-cdc.v1 keyed by record id; a bridge
killed with -9 while changes continue loses nothing after its restart; an expired replay id
produces resync requests and the stream continues.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.fixtures.kafka import create_lawful_topics
from tests.integration.lawful_process import LawfulProcess, lawful_env, read_topic

pytestmark = pytest.mark.integration

Records = list[tuple[str, dict[str, Any]]]


def start_bridge(env: dict[str, str], log: Path) -> LawfulProcess:
    bridge = LawfulProcess(["bridge"], env, log).start()
    bridge.wait_ready()
    return bridge


def create_contacts(emulator: EmulatorHandle, names: list[str], pause: float = 0.0) -> list[str]:
    sf = emulator.salesforce()
    ids = []
    try:
        for name in names:
            ids.append(str(sobject(sf, "Contact").create({"LastName": name})["id"]))
            if pause:
                threading.Event().wait(pause)
    finally:
        sf.session.close()
    return ids


def creates_of(records: Records, ids: set[str]) -> set[str]:
    return {key for key, value in records if key in ids and value["change_type"] == "CREATE"}


@pytest.fixture
async def env(
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> dict[str, str]:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    return lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_BRIDGE__ENTITIES='["Contact", "Individual"]',
    )


async def test_changes_arrive_keyed_by_record_id_and_survive_kill_9(
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    tag = uuid.uuid4().hex[:8]
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        first = await asyncio.to_thread(create_contacts, emulator, [f"A{tag}{i}" for i in range(5)])
        sf = emulator.salesforce()
        try:
            sobject(sf, "Contact").update(first[0], {"Email": f"{tag}@example.org"})
        finally:
            sf.session.close()
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: (
                len(creates_of(got, set(first))) == 5
                and any(v["change_type"] == "UPDATE" for k, v in got if k == first[0])
            ),
        )
        mine = [(key, value) for key, value in records if key in set(first)]
        assert all(value["record_id"] == key for key, value in mine)
        assert all(value["entity"] == "Contact" for _, value in mine)
        assert all(value["channel"] == "/data/ChangeEvents" for _, value in mine)
        assert all(value["origin"] == "stream" and value["replay_id"] for _, value in mine)
        update = next(v for k, v in mine if v["change_type"] == "UPDATE")
        assert update["payload"]["Email"] == f"{tag}@example.org"

        # Kill -9 while a writer keeps changing the org, then restart from the stored id.
        writer = asyncio.create_task(
            asyncio.to_thread(create_contacts, emulator, [f"B{tag}{i}" for i in range(40)], 0.02)
        )
        await asyncio.sleep(0.4)
        bridge.kill()
        await asyncio.sleep(0.5)
        bridge = start_bridge(env, tmp_path / "bridge.log")
        second = await writer
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: creates_of(got, set(second)) == set(second),
        )
        assert creates_of(records, set(second)) == set(second)  # nothing lost
        assert "lawful_bridge_events_acknowledged_total" in bridge.metrics()
        assert bridge.terminate() == 0  # SIGTERM: drain, flush, close
    finally:
        bridge.kill()


async def test_expired_replay_id_produces_resync_requests(
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    tag = uuid.uuid4().hex[:8]
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        ids = await asyncio.to_thread(create_contacts, emulator, [f"E{tag}"])
        await read_topic(kafka_bootstrap, topic, done=lambda got: bool(creates_of(got, set(ids))))
        assert bridge.terminate() == 0  # its replay id is stored
        emulator.hub.expire_retention()
        bridge = start_bridge(env, tmp_path / "bridge.log")
        later = await asyncio.to_thread(create_contacts, emulator, [f"F{tag}"])
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: bool(creates_of(got, set(later))),
        )
        resyncs = sorted(
            (key, value["entity"])
            for key, value in records
            if value["origin"] == "resync" and value["change_type"] == "GAP_OVERFLOW"
        )
        assert resyncs == [("Contact", "Contact"), ("Individual", "Individual")]
        metrics = bridge.metrics()
        assert 'lawful_replay_expired_total{channel="/data/ChangeEvents"} 1.0' in metrics
    finally:
        bridge.kill()


async def test_gap_and_overflow_events_are_forwarded_for_the_worker_to_resync(
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    tag = uuid.uuid4().hex[:8]
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        ids = await asyncio.to_thread(create_contacts, emulator, [f"G{tag}0", f"G{tag}1"])
        emulator.hub.force_gap("Contact", ids, "GAP_UPDATE")
        emulator.hub.force_overflow("Contact")
        records = await read_topic(
            kafka_bootstrap,
            topic,
            done=lambda got: any(v["change_type"] == "GAP_OVERFLOW" for _, v in got),
        )
        gaps = sorted(key for key, value in records if value["change_type"] == "GAP_UPDATE")
        assert gaps == sorted(ids)  # one message per record id of the merged gap event
        [overflow] = [(k, v) for k, v in records if v["change_type"] == "GAP_OVERFLOW"]
        assert overflow[0] == "Contact"
        assert overflow[1]["record_id"] is None
        assert overflow[1]["origin"] == "stream"
    finally:
        bridge.kill()


async def test_custom_channel_mode_delivers_lawfuls_entities_only(
    emulator: EmulatorHandle,
    env: dict[str, str],
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    """A filtered subscription: the custom channel's members are Contact and Individual only, so
    a Lead change (also CDC-enabled in the org) never reaches the bridge."""
    channel = f"Lawful{uuid.uuid4().hex[:6]}__chn"
    emulator.hub.register_custom_channel(channel, ["Contact", "Individual"])
    custom = {
        **env,
        "LAWFUL_BRIDGE__CDC_CHANNEL_MODE": "custom",
        "LAWFUL_BRIDGE__CUSTOM_CHANNEL": channel,
        "LAWFUL_BRIDGE__ENTITIES": '["Contact", "Individual", "Lead"]',
    }
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    bridge = start_bridge(custom, tmp_path / "bridge.log")
    try:
        sf = emulator.salesforce()
        try:
            lead = str(sobject(sf, "Lead").create({"LastName": "Outside", "Company": "X"})["id"])
        finally:
            sf.session.close()
        [contact] = await asyncio.to_thread(create_contacts, emulator, ["Inside"])
        records = await read_topic(
            kafka_bootstrap, topic, done=lambda got: bool(creates_of(got, {contact}))
        )
        assert lead not in {key for key, _ in records}
        assert {value["channel"] for _, value in records} == {f"/data/{channel}"}
        assert (
            f'lawful_bridge_events_received_total{{channel="/data/{channel}"}}' in bridge.metrics()
        )
    finally:
        bridge.kill()


async def test_bridge_restarted_after_redis_lost_its_position_misses_nothing(
    emulator: EmulatorHandle,
    env: dict[str, str],
    redis_url: str,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    topic = f"{env['LAWFUL_KAFKA__TOPIC_PREFIX']}lawful.sf-cdc.v1"
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        first = await asyncio.to_thread(create_contacts, emulator, ["R1", "R2"])
        await read_topic(
            kafka_bootstrap, topic, done=lambda got: creates_of(got, set(first)) == set(first)
        )
        assert bridge.terminate() == 0
        client = redis.Redis.from_url(redis_url)
        try:
            pattern = f"{env['LAWFUL_REDIS__KEY_PREFIX']}salesforce:replay:*"
            keys = list(client.scan_iter(match=pattern))
            assert keys
            client.delete(*keys)  # Redis lost the bridge's position while it was down
        finally:
            client.close()
        missed = await asyncio.to_thread(create_contacts, emulator, ["R3", "R4", "R5"])
        bridge = start_bridge(env, tmp_path / "bridge2.log")
        records = await read_topic(
            kafka_bootstrap, topic, done=lambda got: creates_of(got, set(missed)) == set(missed)
        )
        assert creates_of(records, set(missed)) == set(missed)
        assert "replay_ids_recovered_from_kafka" in bridge.log()
    finally:
        bridge.kill()
