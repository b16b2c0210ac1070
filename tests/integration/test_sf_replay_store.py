"""RedisReplayStore and the embedded valkey launcher against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest
import redis
import redis.asyncio
from redis.asyncio.connection import AbstractConnection

from schemas.errors import TransientError
from workers.embedded.redis import EmbeddedRedis
from workers.salesforce.replay_store import RedisReplayStore

pytestmark = pytest.mark.integration


async def test_positions_only_move_forward(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    store = RedisReplayStore(redis_client, key_prefix=redis_prefix)
    channel = "/data/ContactChangeEvent"
    assert await store.get(channel) is None
    assert await store.save(channel, 18734522)
    assert not await store.save(channel, 18734500)  # a redelivered older event
    assert await store.get(channel) == 18734522
    assert await redis_client.get(store.key(channel)) == b"18734522"
    assert store.key(channel).startswith(redis_prefix)
    await store.forget(channel)
    assert await store.get(channel) is None


async def test_concurrent_saves_keep_the_highest(
    redis_client: redis.asyncio.Redis, redis_prefix: str
) -> None:
    store = RedisReplayStore(redis_client, key_prefix=redis_prefix)
    ids = list(range(100, 160))
    await asyncio.gather(*(store.save("/event/Consent__e", i) for i in reversed(ids)))
    assert await store.get("/event/Consent__e") == max(ids)


async def test_a_save_is_one_round_trip(
    redis_client: redis.asyncio.Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bridge saves a position per group of acknowledged events: one request to Redis each
    (a WATCH/GET/MULTI-EXEC compare-and-set took three)."""
    store = RedisReplayStore(redis_client, key_prefix=redis_prefix)
    channel = "/data/ChangeEvents"
    assert await store.save(channel, 100)  # the first call may also load the script
    sent: list[bytes | str | Iterable[bytes]] = []
    original = AbstractConnection.send_packed_command

    async def counted(
        self: AbstractConnection, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        sent.append(command)
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    assert await store.save(channel, 101)
    assert len(sent) == 1
    assert not await store.save(channel, 99)
    assert len(sent) == 2
    assert await store.get(channel) == 101


def test_embedded_server_starts_answers_and_stops() -> None:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping()
            assert client.info("server")["process_id"] == server.pid
        finally:
            client.close()
    assert server.pid is None


def test_embedded_server_refuses_a_taken_port() -> None:
    with EmbeddedRedis() as first:
        second = EmbeddedRedis(port=first.port)
        with pytest.raises(TransientError, match="exited"):
            second.start(timeout=5)
