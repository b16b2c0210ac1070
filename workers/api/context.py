"""What every handler needs, stored on the aiohttp application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio
from aiohttp import web

from workers.api.auth import Authenticator, Principal
from workers.api.trace import Explainer
from workers.projection.keys import Keys
from workers.settings import Settings

ErasureIntake = Callable[[str, str, str], Awaitable[object]]
"""(individual_id, request_id, who) -> submit an ERASURE_REQUESTED to the executor."""


@dataclass
class ApiContext:
    settings: Settings
    client: redis.asyncio.Redis
    keys: Keys
    authenticator: Authenticator
    explainer: Explainer
    projection_ready: Callable[[], bool]
    erasure_intake: ErasureIntake

    @property
    def prefix(self) -> str:
        return self.settings.redis.key_prefix


CONTEXT = web.AppKey("context", ApiContext)
PRINCIPAL = web.RequestKey("principal", Principal)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]


def principal(request: web.Request) -> Principal:
    return request[PRINCIPAL]
