"""JSON error answers: `{"error": {"status", "message", "parameter"?}}`."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError


def error_response(
    status: int,
    message: str,
    *,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, object] = {"status": status, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    return web.json_response({"error": body}, status=status, headers=headers)


def validation_response(error: ValidationError) -> web.Response:
    """400 naming the first offending parameter (the value itself is never echoed)."""
    first = error.errors(include_input=False, include_url=False)[0]
    parameter = str(first["loc"][0]) if first["loc"] else None
    message = first["msg"]
    if parameter:
        message = f"invalid value for '{parameter}': {message}"
    return error_response(400, message, parameter=parameter)
