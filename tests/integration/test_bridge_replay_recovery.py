"""Replay positions read back from the bridged topics when Redis lost them (real Tansu + Redis),
and `lawful bridge` restarted after Redis lost its position misses nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as sync_redis
import redis.asyncio

from schemas.messages import SalesforceEvent
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, produce
from tests.integration.lawful_process import lawful_env, read_topic
from tests.integration.test_bridge_emulator import create_contacts, creates_of, start_bridge
from workers.bridge import replay_recovery
from workers.bridge.replay_recovery import recover_replay_ids
from workers.salesforce.replay_store import RedisReplayStore
from workers.settings import KafkaSettings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def event(channel: str, record: str, replay: int | None) -> SalesforceEvent:
    return SalesforceEvent(
        channel=channel,
        replay_id=replay,
        record_id=record,
        entity="Contact",
        change_type="UPDATE",
        payload={"ChangeEventHeader": {"entityName": "Contact", "recordIds": [record]}},
        received_at=NOW,
    )


async def test_newest_replay_id_per_channel_is_found_across_partitions_and_windows(
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_client: redis.asyncio.Redis,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replay_recovery, "FIRST_WINDOW", 3)  # force several growing windows
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    quiet = [event("/data/QuietEvent", "003Q", 41)]  # oldest: found only further back
    busy = [event("/data/ChangeEvents", f"003{n:04d}", 100 + n) for n in range(40)]
    unreplayed = [event("/data/ChangeEvents", "003Z", None)]  # a resync re-read has no id
    await produce(kafka_bootstrap, topic, [*quiet, *busy, *unreplayed])
    store = RedisReplayStore(redis_client, key_prefix=redis_prefix)
    await store.save("/event/Kept__e", 7)
    kafka = KafkaSettings(bootstrap=f"kafka://{kafka_bootstrap}", topic_prefix=topic_prefix)
    channels = ["/data/ChangeEvents", "/data/QuietEvent", "/event/Kept__e", "/data/NeverSeen"]
    found = await recover_replay_ids(store, channels, kafka, [topic], scan_max=1000)
    assert found == {"/data/ChangeEvents": 139, "/data/QuietEvent": 41}
    assert await store.get("/data/ChangeEvents") == 139
    assert await store.get("/data/QuietEvent") == 41
    assert await store.get("/event/Kept__e") == 7  # a stored position is left alone
    assert await store.get("/data/NeverSeen") is None


async def test_bridge_restarted_after_redis_lost_its_position_misses_nothing(  # noqa: PLR0917
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    env = lawful_env(
        emulator,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        LAWFUL_BRIDGE__ENTITIES='["Contact", "Individual"]',
    )
    topic = f"{topic_prefix}lawful.sf-cdc.v1"
    bridge = start_bridge(env, tmp_path / "bridge.log")
    try:
        first = await asyncio.to_thread(create_contacts, emulator, ["R1", "R2"])
        await read_topic(
            kafka_bootstrap, topic, done=lambda got: creates_of(got, set(first)) == set(first)
        )
        assert bridge.terminate() == 0
        client = sync_redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{redis_prefix}salesforce:replay:*"))
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
