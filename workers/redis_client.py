"""The one way lawful's processes connect to their Redis (URL, ACL user and password from the
settings; `rediss://` for TLS)."""

from __future__ import annotations

from typing import Any

import redis.asyncio

from workers.settings import Settings


def redis_client(settings: Settings, **options: Any) -> redis.asyncio.Redis:
    """An asyncio client for `settings.redis`; `options` go to redis-py (e.g. timeouts)."""
    conf = settings.redis
    return redis.asyncio.Redis.from_url(
        conf.url,
        username=conf.username,
        password=conf.password.get_secret_value() if conf.password else None,
        **options,
    )
