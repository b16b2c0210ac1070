"""A stand-alone streaming server for tests and the bench (plain HTTP on localhost).

It serves only the CometD and admin routes of a `StreamingHub` plus a minimal OAuth token
endpoint, so the unmodified aiosfstream_ng client can run against the hub before, or without,
the full emulator.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from emulator.streaming.config import StreamingConfig
from emulator.streaming.http import json_response
from emulator.streaming.hub import StreamingHub


class ManualClock:
    """A clock tests can advance; starts at the real time."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StandaloneStreamingServer:
    """`async with StandaloneStreamingServer(config) as server:` -> `server.instance_url`."""

    def __init__(
        self, config: StreamingConfig | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.clock: Callable[[], float] = clock or ManualClock()
        self.hub = StreamingHub(config or StreamingConfig(), self.clock)
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.instance_url = ""
        self._runner: web.AppRunner | None = None

    def validate_bearer(self, header: str | None) -> bool:
        return header is not None and header.removeprefix("Bearer ") in self.tokens

    async def _token(self, _request: web.Request) -> web.StreamResponse:
        self.token_requests += 1
        token = "00D000000000001!" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        body: dict[str, Any] = {
            "access_token": token,
            "instance_url": self.instance_url,
            "id": "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": str(int(self.clock() * 1000)),
            "signature": "c2lnbmF0dXJl",
        }
        return json_response(body)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    @property
    def token_url(self) -> str:
        return f"{self.instance_url}/services/oauth2/token"

    async def __aenter__(self) -> StandaloneStreamingServer:
        app = web.Application()
        app.router.add_post("/services/oauth2/token", self._token)
        self.hub.install(app, validate_bearer=self.validate_bearer)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, listener)
        await site.start()
        port = listener.getsockname()[1]
        self.instance_url = f"http://localhost:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
