"""End to end on the full emulator (HTTPS): REST adapter writes -> CDC -> StreamSubscriber."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio
from prometheus_client import CollectorRegistry

from tests.fixtures.emulator import EmulatorHandle
from workers.salesforce.rest import SimpleSalesforceRest
from workers.salesforce.streaming import StreamEvent, StreamSubscriber
from workers.salesforce.streaming_auth import TokenEndpointAuthenticator
from workers.settings import RedisSettings, SalesforceSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

CONTACT = "/data/ContactChangeEvent"


@pytest_asyncio.fixture(loop_scope="module")
async def redis_conn(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


def lawful_settings(emulator: EmulatorHandle, redis_url: str, prefix: str) -> Settings:
    return Settings(
        salesforce=SalesforceSettings(
            credentials_file=emulator.credentials_path,
            auth_flow="jwt",
            streaming_liveness_timeout=10.0,
        ),
        redis=RedisSettings(url=redis_url, key_prefix=prefix),
    )


def header(event: StreamEvent) -> dict[str, object]:
    result: dict[str, object] = event.message["data"]["payload"]["ChangeEventHeader"]
    return result


async def next_for(queue: asyncio.Queue[StreamEvent], record_id: str, kind: str) -> StreamEvent:
    """The next event about `record_id` (others' events are acked and skipped)."""
    async with asyncio.timeout(15):
        while True:
            event = await queue.get()
            await event.ack()
            head = header(event)
            record_ids = head["recordIds"]
            assert isinstance(record_ids, list)
            if record_id in record_ids and head["changeType"] == kind:
                return event


async def pump(subscriber: StreamSubscriber, queue: asyncio.Queue[StreamEvent]) -> None:
    async with contextlib.aclosing(subscriber.events()) as events:
        async for event in events:
            await queue.put(event)


async def test_rest_writes_arrive_as_change_events(
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    redis_conn: redis.asyncio.Redis,
) -> None:
    settings = lawful_settings(emulator, redis_url, redis_prefix)
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    subscriber = StreamSubscriber.from_settings(settings, [CONTACT], redis_conn)
    queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
    task = asyncio.ensure_future(pump(subscriber, queue))
    tag = uuid.uuid4().hex[:8]
    try:
        await asyncio.wait_for(subscriber.ready.wait(), timeout=15)
        [created] = await rest.create("Contact", [{"LastName": f"Cdc{tag}"}])
        record_id = str(created.id)
        create = await next_for(queue, record_id, "CREATE")
        assert create.message["data"]["payload"]["Name"]["LastName"] == f"Cdc{tag}"

        await rest.update("Contact", [{"Id": record_id, "Email": f"{tag}@example.org"}])
        update = await next_for(queue, record_id, "UPDATE")
        assert update.message["data"]["payload"]["Email"] == f"{tag}@example.org"
        assert str(header(update)["changeOrigin"]).endswith(";client=lawful")

        await rest.delete([record_id])
        deleted = await next_for(queue, record_id, "DELETE")
        stored = await redis_conn.get(f"{redis_prefix}salesforce:replay:{CONTACT}")
        assert stored is not None
        assert int(stored) == deleted.replay_id
        assert create.replay_id < update.replay_id < deleted.replay_id
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        rest.close()


async def test_restart_and_dropped_client_lose_nothing(
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    redis_conn: redis.asyncio.Redis,
) -> None:
    settings = lawful_settings(emulator, redis_url, redis_prefix)
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    tag = uuid.uuid4().hex[:8]
    try:
        first = StreamSubscriber.from_settings(settings, [CONTACT], redis_conn)
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        task = asyncio.ensure_future(pump(first, queue))
        await asyncio.wait_for(first.ready.wait(), timeout=15)
        [before] = await rest.create("Contact", [{"LastName": f"Before{tag}"}])
        await next_for(queue, str(before.id), "CREATE")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

        # Written while no subscriber runs: must arrive after the restart.
        down = await rest.create("Contact", [{"LastName": f"Down{tag}-{i}"} for i in range(3)])

        second = StreamSubscriber.from_settings(settings, [CONTACT], redis_conn)
        queue = asyncio.Queue()
        task = asyncio.ensure_future(pump(second, queue))
        for result in down:
            await next_for(queue, str(result.id), "CREATE")

        assert emulator.hub.drop_clients() >= 1  # next connect: 403::Unknown client
        [after] = await rest.create("Contact", [{"LastName": f"After{tag}"}])
        await next_for(queue, str(after.id), "CREATE")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        rest.close()


async def test_revoked_tokens_are_renewed_by_both_adapters(
    emulator: EmulatorHandle,
    redis_url: str,
    redis_prefix: str,
    redis_conn: redis.asyncio.Redis,
) -> None:
    settings = lawful_settings(emulator, redis_url, redis_prefix)
    rest = SimpleSalesforceRest.from_settings(settings.salesforce, registry=CollectorRegistry())
    subscriber = StreamSubscriber.from_settings(settings, [CONTACT], redis_conn)
    queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
    task = asyncio.ensure_future(pump(subscriber, queue))
    try:
        await asyncio.wait_for(subscriber.ready.wait(), timeout=15)
        await rest.describe("Contact")
        assert emulator.org.revoke_tokens() >= 2  # the REST and the streaming token
        [created] = await rest.create("Contact", [{"LastName": f"Revoked{uuid.uuid4().hex[:8]}"}])
        await next_for(queue, str(created.id), "CREATE")
        assert isinstance(subscriber.authenticator, TokenEndpointAuthenticator)
        # A long poll already held open before the revocation may deliver the event; the next
        # connect is refused with 401 and the stream logs in again.
        deadline = asyncio.get_running_loop().time() + 15
        while subscriber.authenticator.token_requests < 2:
            assert asyncio.get_running_loop().time() < deadline, "the stream never logged in again"
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        rest.close()
