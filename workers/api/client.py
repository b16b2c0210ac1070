"""The API's HTTP client for `lawful search` and `lawful explain` (URL and token from settings)."""

from __future__ import annotations

from typing import Any

import aiohttp

from workers.settings import ApiSettings


class ApiError(Exception):
    """The API answered with an error (its status and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


async def get_json(settings: ApiSettings, path: str, params: dict[str, str]) -> Any:
    headers = {"Accept": "application/json"}
    if settings.token is not None:
        headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(base_url=settings.url, timeout=timeout) as session,
        session.get(path, params=params, headers=headers) as answer,
    ):
        body = await answer.json(content_type=None)
        if answer.status >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise ApiError(answer.status, str(error.get("message", answer.reason)))
        return body
