"""Replay operations over a fake CometD channel (a retained log served from the position the
executor gives the subscription) and a recording producer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from tests.component.test_bridge_service import (
    ALL,
    NOW,
    ManualProducer,
    MemoryStore,
    cdc,
    until,
)
from workers.bridge.service import EventSource
from workers.operations.backfill import OperationError
from workers.operations.progress import OperationProgress
from workers.operations.replay import REPLAY_ALL, ReplayExecutor
from workers.salesforce.errors import ReplayIdExpiredError
from workers.salesforce.replay_store import ReplayStore
from workers.salesforce.streaming import StreamEvent
from workers.settings import BridgeSettings, KafkaSettings, Settings

pytestmark = pytest.mark.component

RETAINED = [cdc(10 + i, "Contact", "CREATE", f"003{i:015d}") for i in range(6)]


class RetainedChannel:
    """Delivers the retained events after the subscription's stored position, then stays open
    (a live channel); a position before the retained range is refused as expired."""

    def __init__(self, store: ReplayStore, channels: list[str]) -> None:
        self.ready = asyncio.Event()
        self.store = store
        self.channels = channels

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        start = await self.store.get(ALL)
        assert start is not None
        if start != REPLAY_ALL and start < 9:
            raise ReplayIdExpiredError(ALL, start, "replayId invalid")
        self.ready.set()
        for message in RETAINED:
            replay_id = int(message["data"]["event"]["replayId"])
            if replay_id > start:

                async def ack(replay_id: int = replay_id) -> bool:
                    return await self.store.save(ALL, replay_id)

                yield StreamEvent(ALL, message, replay_id, ack)
        await asyncio.Event().wait()


def executor(live: MemoryStore, producer: ManualProducer) -> tuple[ReplayExecutor, list[Any]]:
    settings = Settings(
        bridge=BridgeSettings(entities=("Contact",), platform_events=()),
        kafka=KafkaSettings(topic_prefix="p."),
    )
    opened: list[Any] = []

    def subscribe(store: ReplayStore, channels: list[str]) -> EventSource:
        opened.append((store, channels))
        return RetainedChannel(store, channels)

    replays = ReplayExecutor(
        settings, producer, live, subscribe, first_event_timeout=2, idle_timeout=0.2,
        clock=lambda: NOW,
    )  # fmt: skip
    return replays, opened


def operation(replay_id: int, channel: str = ALL) -> dict[str, str]:
    return {"id": "op1", "kind": "replay", "channel": channel, "replay_id": str(replay_id)}


async def test_replays_from_the_id_up_to_the_live_position() -> None:
    live = MemoryStore()
    live.positions[ALL] = 13
    producer = ManualProducer()
    replays, opened = executor(live, producer)
    progress = OperationProgress()
    await replays(operation(11), progress)
    assert [value["replay_id"] for _, _, value in producer.sent] == [12, 13]
    assert {topic for topic, _, _ in producer.sent} == {"p.lawful.sf-cdc.v1"}
    assert (progress.records_read, progress.events_produced) == (2, 2)
    assert live.positions[ALL] == 13  # the live position is not touched
    assert opened[0][1] == [ALL]


async def test_all_retained_without_a_live_position_runs_until_the_channel_is_quiet() -> None:
    producer = ManualProducer()
    replays, _ = executor(MemoryStore(), producer)
    progress = OperationProgress()
    await replays(operation(REPLAY_ALL), progress)
    assert [value["replay_id"] for _, _, value in producer.sent] == list(range(10, 16))
    assert progress.events_produced == 6


async def test_nothing_to_replay_after_the_live_position() -> None:
    live = MemoryStore()
    live.positions[ALL] = 13
    producer = ManualProducer()
    replays, opened = executor(live, producer)
    await replays(operation(13), OperationProgress())
    assert producer.sent == []
    assert opened == []


async def test_acknowledgements_are_awaited_before_it_counts() -> None:
    live = MemoryStore()
    live.positions[ALL] = 15
    producer = ManualProducer(auto=False)
    replays, _ = executor(live, producer)
    progress = OperationProgress()
    task = asyncio.create_task(replays(operation(REPLAY_ALL), progress))
    await until(lambda: len(producer.deliveries) == 6)
    await asyncio.sleep(0.05)
    assert not task.done()
    assert progress.events_produced == 0
    for delivery in producer.deliveries:
        delivery.set_result(None)
    await task
    assert progress.events_produced == 6


async def test_unknown_channel_and_expired_id_fail_clearly() -> None:
    replays, _ = executor(MemoryStore(), ManualProducer())
    with pytest.raises(OperationError, match="does not subscribe to /data/LeadChangeEvent"):
        await replays(operation(5, "/data/LeadChangeEvent"), OperationProgress())
    with pytest.raises(OperationError, match="outside the retention window"):
        await replays(operation(3), OperationProgress())
    with pytest.raises(OperationError, match="integer replay_id"):
        await replays({"channel": ALL, "replay_id": "x"}, OperationProgress())
