"""Bridge over a scripted event source, a controllable producer and an in-memory replay store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import pytest

from workers.bridge.messages import subscribed_channels
from workers.bridge.service import Bridge
from workers.salesforce.errors import ReplayIdExpiredError
from workers.salesforce.streaming import StreamEvent
from workers.settings import BridgeSettings

pytestmark = pytest.mark.component

ALL = "/data/ChangeEvents"
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


class MemoryStore:
    def __init__(self) -> None:
        self.positions: dict[str, int] = {}
        self.forgotten: list[str] = []

    async def get(self, channel: str) -> int | None:
        return self.positions.get(channel)

    async def save(self, channel: str, replay_id: int) -> bool:
        if self.positions.get(channel, -1) >= replay_id:
            return False
        self.positions[channel] = replay_id
        return True

    async def forget(self, channel: str) -> None:
        self.positions.pop(channel, None)
        self.forgotten.append(channel)


class ScriptedSource:
    """Yields the scripted messages; an exception in the script is raised at that point."""

    def __init__(self, store: MemoryStore, script: list[dict[str, Any] | Exception]) -> None:
        self.ready = asyncio.Event()
        self.store = store
        self.script = script
        self.opened = 0

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        self.opened += 1
        self.ready.set()
        while self.script:
            item = self.script.pop(0)
            if isinstance(item, Exception):
                raise item
            channel, replay_id = str(item["channel"]), int(item["data"]["event"]["replayId"])

            async def ack(channel: str = channel, replay_id: int = replay_id) -> bool:
                return await self.store.save(channel, replay_id)

            yield StreamEvent(channel, item, replay_id, ack)
        await asyncio.Event().wait()  # a live stream: nothing more for now


class ManualProducer:
    """Records sends; each delivery future is resolved by the test (or at once if `auto`)."""

    def __init__(self, *, auto: bool = True) -> None:
        self.auto = auto
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.deliveries: list[asyncio.Future[Any]] = []

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]:
        self.sent.append((topic, key.decode(), json.loads(value)))
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.auto:
            delivery.set_result(None)
        self.deliveries.append(delivery)
        return delivery


def cdc(replay_id: int, entity: str, change: str, *ids: str) -> dict[str, Any]:
    header = {
        "entityName": entity,
        "changeType": change,
        "recordIds": list(ids),
        "commitTimestamp": int(NOW.timestamp() * 1000) - 5000,
        "changeOrigin": "",
    }
    return {
        "channel": ALL,
        "data": {"payload": {"ChangeEventHeader": header}, "event": {"replayId": replay_id}},
    }


def bridge_for(source: ScriptedSource, producer: ManualProducer, store: MemoryStore) -> Bridge:
    settings = BridgeSettings(entities=("Contact", "Individual"), max_in_flight=10)
    return Bridge(source, producer, store, settings, topic_prefix="p.", clock=lambda: NOW)


async def until(condition: Any) -> None:
    """Poll `condition` for up to 5 s (the bridge offers no hook to wait on)."""
    async with asyncio.timeout(5):
        for _ in iter(lambda: bool(condition()), True):
            await asyncio.sleep(0.005)


async def test_merged_change_fans_out_per_record_and_unfollowed_entities_are_skipped() -> None:
    store = MemoryStore()
    script: list[dict[str, Any] | Exception] = [
        cdc(1, "Contact", "UPDATE", "003A", "003B"),
        cdc(2, "Task", "CREATE", "00TA"),
        cdc(3, "Individual", "GAP_OVERFLOW", "000000000000000AAA"),
    ]
    producer = ManualProducer()
    bridge = bridge_for(ScriptedSource(store, script), producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: store.positions.get(ALL) == 3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [(topic, key) for topic, key, _ in producer.sent] == [
        ("p.lawful.sf-cdc.v1", "003A"),
        ("p.lawful.sf-cdc.v1", "003B"),
        ("p.lawful.sf-cdc.v1", "Individual"),
    ]
    assert [value["record_id"] for _, _, value in producer.sent] == ["003A", "003B", None]
    assert bridge.metrics.skipped.labels(ALL)._value.get() == 1
    assert bridge.metrics.replay_lag.labels(ALL)._value.get() == pytest.approx(5.0)


async def test_replay_id_is_stored_only_after_every_delivery_in_order() -> None:
    store = MemoryStore()
    script: list[dict[str, Any] | Exception] = [
        cdc(10, "Contact", "UPDATE", "003A", "003B"),
        cdc(11, "Contact", "UPDATE", "003C"),
    ]
    producer = ManualProducer(auto=False)
    bridge = bridge_for(ScriptedSource(store, script), producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: len(producer.deliveries) == 3)
    producer.deliveries[2].set_result(None)  # the later event is acknowledged first ...
    producer.deliveries[0].set_result(None)  # ... and only half of the earlier one
    await asyncio.sleep(0.05)
    assert ALL not in store.positions
    producer.deliveries[1].set_result(None)
    await until(lambda: store.positions.get(ALL) == 11)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_waiting_events_are_stored_with_one_write_per_channel() -> None:
    store = MemoryStore()
    writes: list[int] = []
    save = store.save

    async def counted(channel: str, replay_id: int) -> bool:
        writes.append(replay_id)
        return await save(channel, replay_id)

    store.save = counted  # type: ignore[method-assign]
    script: list[dict[str, Any] | Exception] = [
        cdc(n, "Contact", "UPDATE", f"003{n:03d}") for n in range(40, 46)
    ]
    producer = ManualProducer(auto=False)
    bridge = bridge_for(ScriptedSource(store, script), producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: len(producer.deliveries) == 6)
    for delivery in producer.deliveries:
        delivery.set_result(None)
    await until(lambda: store.positions.get(ALL) == 45)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert writes == [45]  # the six waiting events: one write, of the last id
    assert bridge.metrics.events_acked.labels(ALL)._value.get() == 6


async def test_failed_produce_stops_the_bridge_without_storing_the_position() -> None:
    store = MemoryStore()
    producer = ManualProducer(auto=False)
    source = ScriptedSource(store, [cdc(20, "Contact", "CREATE", "003A")])
    bridge = bridge_for(source, producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: len(producer.deliveries) == 1)
    producer.deliveries[0].set_exception(RuntimeError("broker refused"))
    with pytest.raises(RuntimeError, match="broker refused"):
        await asyncio.wait_for(task, 5)
    assert store.positions == {}


async def test_expired_replay_id_produces_resync_requests_forgets_and_resubscribes() -> None:
    store = MemoryStore()
    store.positions[ALL] = 5
    script: list[dict[str, Any] | Exception] = [
        ReplayIdExpiredError(ALL, 5, "400::The replayId {5} you provided was invalid"),
        cdc(30, "Contact", "CREATE", "003Z"),
    ]
    producer = ManualProducer()
    source = ScriptedSource(store, script)
    bridge = bridge_for(source, producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: store.positions.get(ALL) == 30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    resyncs = [value for _, _, value in producer.sent if value["origin"] == "resync"]
    assert [(r["entity"], r["change_type"]) for r in resyncs] == [
        ("Contact", "GAP_OVERFLOW"),
        ("Individual", "GAP_OVERFLOW"),
    ]
    assert [key for _, key, value in producer.sent if value["origin"] == "resync"] == [
        "Contact",
        "Individual",
    ]
    assert store.forgotten == [ALL]
    assert source.opened == 2
    assert bridge.metrics.replay_expired.labels(ALL)._value.get() == 1


async def test_platform_events_are_keyed_by_event_uuid() -> None:
    store = MemoryStore()
    channel = "/event/Lawful_Erasure_Request__e"
    message = {
        "channel": channel,
        "data": {
            "payload": {"EventUuid": "uuid-1", "CreatedDate": "2026-11-29T11:59:00Z"},
            "event": {"replayId": 4},
        },
    }
    producer = ManualProducer()
    bridge = bridge_for(ScriptedSource(store, [message]), producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: store.positions.get(channel) == 4)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    [(topic, key, value)] = producer.sent
    assert (topic, key, value["event_uuid"]) == ("p.lawful.sf-events.v1", "uuid-1", "uuid-1")


def test_channels_per_mode() -> None:
    per_entity = BridgeSettings(
        entities=("Contact", "Lawful_LIA__c"), cdc_channel_mode="per-entity"
    )
    assert subscribed_channels(per_entity) == [
        "/data/ContactChangeEvent",
        "/data/Lawful_LIA__ChangeEvent",
        "/event/Lawful_Erasure_Request__e",
        "/event/ConsentEvent",
    ]
    assert subscribed_channels(BridgeSettings())[0] == ALL


async def test_an_event_too_large_for_the_broker_is_forwarded_as_a_gap() -> None:
    store = MemoryStore()
    message = cdc(40, "Contact", "UPDATE", "003A")
    message["data"]["payload"]["Description"] = "x" * 1_100_000
    producer = ManualProducer()
    bridge = bridge_for(ScriptedSource(store, [message]), producer, store)
    task = asyncio.create_task(bridge.run())
    await until(lambda: store.positions.get(ALL) == 40)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    [(_, key, value)] = producer.sent
    assert (key, value["change_type"]) == ("003A", "GAP_UPDATE")
    assert value["payload"]["ChangeEventHeader"]["changeType"] == "GAP_UPDATE"
    assert "Description" not in value["payload"]
