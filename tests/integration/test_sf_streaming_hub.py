"""StreamSubscriber against the emulator's real CometD hub (loopback HTTP) and real Redis.

Restart with no loss, replay expiry -> ReplayIdExpired, dropped client -> re-handshake, no loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio
from pydantic import SecretStr

from emulator.changes import RecordChange, Transaction
from emulator.streaming import StreamingConfig
from emulator.streaming.faults import HttpFault
from emulator.streaming.testing import ManualClock, StandaloneStreamingServer
from workers.salesforce.credentials import SalesforceCredentials
from workers.salesforce.errors import ReplayIdExpiredError
from workers.salesforce.replay_store import RedisReplayStore
from workers.salesforce.streaming import StreamEvent, StreamSubscriber
from workers.salesforce.streaming_auth import PasswordFlowAuthenticator

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

CONTACT = "/data/ContactChangeEvent"
_ids = itertools.count(10_000)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[StandaloneStreamingServer]:
    config = StreamingConfig(long_poll_timeout_s=1.0)
    async with StandaloneStreamingServer(config, ManualClock()) as running:
        running.hub.register_cdc_entity("Contact")
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def store(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisReplayStore]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield RedisReplayStore(client, key_prefix=redis_prefix)
    await client.aclose()


def subscriber(server: StandaloneStreamingServer, store: RedisReplayStore) -> StreamSubscriber:
    credentials = SalesforceCredentials(
        flow="password",
        login_url=server.instance_url,
        client_id="consumer-key",
        username="worker@acme.example",
        client_secret=SecretStr("consumer-secret"),
        password=SecretStr("pw"),
    )
    return StreamSubscriber(
        PasswordFlowAuthenticator(credentials), store, [CONTACT], liveness_timeout=5.0
    )


def commit_updates(server: StandaloneStreamingServer, count: int) -> list[str]:
    """`count` Contact updates in separate transactions; returns the record ids in order."""
    record_ids = []
    for _ in range(count):
        record_id = f"0035g00000{next(_ids):05d}AAA"
        change = RecordChange(
            entity="Contact",
            change_type="UPDATE",
            record_id=record_id,
            values={"Email": f"{record_id}@example.org"},
            nulled=(),
            transaction_key=record_id,
            commit_timestamp_ms=int(time.time()) * 1000,
            commit_number=1,
            commit_user="0055g00000B7cRzAAJ",
            change_origin="com/salesforce/api/rest/62.0",
            sequence_number=1,
        )
        server.hub.transaction_committed(Transaction(record_id, (change,)))
        record_ids.append(record_id)
    return record_ids


def record_of(event: StreamEvent) -> str:
    record_ids: list[str] = event.message["data"]["payload"]["ChangeEventHeader"]["recordIds"]
    return record_ids[0]


class Consumer:
    """Runs a subscriber in a task, acking every event, until stopped."""

    def __init__(self, sub: StreamSubscriber) -> None:
        self.sub = sub
        self.records: list[str] = []
        self.replay_ids: list[int] = []
        self._arrived = asyncio.Condition()
        self._task = asyncio.ensure_future(self._consume())

    async def _consume(self) -> None:
        async with contextlib.aclosing(self.sub.events()) as events:
            async for event in events:
                await event.ack()
                async with self._arrived:
                    self.records.append(record_of(event))
                    self.replay_ids.append(event.replay_id)
                    self._arrived.notify_all()

    async def wait_ready(self) -> None:
        await asyncio.wait_for(self.sub.ready.wait(), timeout=10)

    async def wait_for(self, count: int, within: float = 15.0) -> None:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.records) >= count)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_restart_resumes_from_stored_position_without_loss(
    server: StandaloneStreamingServer, store: RedisReplayStore
) -> None:
    first = Consumer(subscriber(server, store))
    await first.wait_ready()
    before = commit_updates(server, 2)
    await first.wait_for(2)
    await first.stop()
    assert first.records == before
    assert await store.get(CONTACT) == first.replay_ids[-1]

    while_down = commit_updates(server, 3)  # made while no subscriber runs

    second = Consumer(subscriber(server, store))
    await second.wait_for(3)
    after = commit_updates(server, 1)
    await second.wait_for(4)
    await second.stop()
    assert second.records == while_down + after  # nothing lost, nothing handled twice
    assert await store.get(CONTACT) == second.replay_ids[-1]


async def test_expired_position_raises_replay_id_expired(
    server: StandaloneStreamingServer, store: RedisReplayStore
) -> None:
    first = Consumer(subscriber(server, store))
    await first.wait_ready()
    commit_updates(server, 1)
    await first.wait_for(1)
    await first.stop()
    server.hub.expire_retention()
    stored = await store.get(CONTACT)
    with pytest.raises(ReplayIdExpiredError) as expired:
        async with (
            asyncio.timeout(15),
            contextlib.aclosing(subscriber(server, store).events()) as events,
        ):
            await anext(events)
    assert expired.value.channel == CONTACT
    assert expired.value.replay_id == stored
    assert str(stored) in expired.value.server_message


async def test_dropped_client_rehandshakes_without_loss(
    server: StandaloneStreamingServer, store: RedisReplayStore
) -> None:
    consumer = Consumer(subscriber(server, store))
    await consumer.wait_ready()
    before = commit_updates(server, 2)
    await consumer.wait_for(2)
    dropped_before = server.hub.stats()["dropped_clients"]
    tokens_before = server.token_requests
    assert server.hub.drop_clients() >= 1
    during = commit_updates(server, 3)
    await consumer.wait_for(5, within=20)
    await consumer.stop()
    assert consumer.records == before + during
    assert server.hub.stats()["dropped_clients"] > dropped_before
    assert server.token_requests > tokens_before  # 403::Unknown client -> token + re-handshake


@pytest.mark.parametrize("fault", ["http503", "drop", "busy"])
async def test_transport_faults_recover_without_loss(
    server: StandaloneStreamingServer, store: RedisReplayStore, fault: HttpFault
) -> None:
    consumer = Consumer(subscriber(server, store))
    await consumer.wait_ready()
    server.hub.fail_next_requests(fault, 2)
    changes = commit_updates(server, 3)
    await consumer.wait_for(3, within=25)
    await consumer.stop()
    assert consumer.records == changes


async def test_duplicate_deliveries_are_handled_once(
    server: StandaloneStreamingServer, store: RedisReplayStore
) -> None:
    consumer = Consumer(subscriber(server, store))
    await consumer.wait_ready()
    server.hub.duplicate_deliveries(2)
    changes = commit_updates(server, 3)
    await consumer.wait_for(3)
    await asyncio.sleep(0.5)  # give a duplicate the chance to show up
    await consumer.stop()
    assert consumer.records == changes
