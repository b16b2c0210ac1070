"""Recent alerts (lawful.alerts.v1) in a capped sorted set by `occurred_at`; replays are no-ops."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio

from schemas.messages import AlertMessage
from workers.projection.keys import Keys


async def add_alerts(
    client: redis.asyncio.Redis, keys: Keys, alerts: Sequence[AlertMessage], kept: int
) -> None:
    """Store `alerts` (the same alert twice is one member) and keep the newest `kept`."""
    if not alerts:
        return
    async with client.pipeline(transaction=True) as pipe:
        pipe.zadd(keys.alerts, {a.model_dump_json(): a.occurred_at.timestamp() for a in alerts})
        pipe.zremrangebyrank(keys.alerts, 0, -(kept + 1))
        await pipe.execute()


async def recent_alerts(
    client: redis.asyncio.Redis, keys: Keys, limit: int, individual_id: str | None = None
) -> list[AlertMessage]:
    """Newest first; `individual_id` keeps one person's alerts."""
    raws = await client.zrevrange(keys.alerts, 0, -1 if individual_id else limit - 1)
    alerts = [AlertMessage.model_validate_json(raw) for raw in raws if isinstance(raw, bytes)]
    if individual_id is not None:
        alerts = [a for a in alerts if a.data.individual_id == individual_id]
    return alerts[:limit]
