"""Replay positions read back from the bridged topics when Redis lost them (real Tansu + Redis);
the bridge process restarted after such a loss is tested in test_bridge_emulator.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio

from schemas.messages import SalesforceEvent
from tests.fixtures.kafka import create_lawful_topics, produce
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
