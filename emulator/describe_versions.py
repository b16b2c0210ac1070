"""GET /services/data: the API versions list (no authentication needed)."""

from __future__ import annotations

import orjson
from aiohttp import web

from emulator.rest.describe import versions


def versions_response() -> web.Response:
    return web.Response(body=orjson.dumps(versions()), content_type="application/json")
