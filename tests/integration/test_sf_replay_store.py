"""RedisReplayStore and the embedded valkey launcher against a real server."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio

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
