"""Streaming API error replies, worded as Salesforce words them (§2.5/§2.6)."""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]

UNKNOWN_CLIENT = "403::Unknown client"
AUTH_INVALID = "401::Authentication invalid"
AUTH_REQUIRED = "401::Request requires authentication."
HANDSHAKE_DENIED = "403::Handshake denied"
DAILY_LIMIT = "403::Organization total events daily limit exceeded"
NOT_HANDSHAKEN = "403::Client has not completed handshake"
SERVER_BUSY = "503::Server is too busy.  Please try your request again later."
NO_CHANNEL = "400::Channel name not specified"
NO_LEADING_SLASH = "400::Channel subscriptions must start with a leading '/'"
VERSION_MANDATORY = "400::API version in the URI is mandatory. URI format: '/cometd/66.0'"
VERSION_UNSUPPORTED = (
    "400::Unsupported API version. Only API versions '37.0' and later are supported. "
    "URI format: '/cometd/66.0'"
)
CONCURRENT_CLIENTS = "403::Organization concurrent user limit exceeded"
REQUEST_TOO_LARGE = "413::Maximum Request Size Exceeded"


def no_such_channel(channel: str) -> str:
    return f"400::The channel you requested to subscribe to doesn't exist {channel}"


def invalid_replay_id(replay_id: object) -> str:
    return (
        f"400::The replayId {{{replay_id}}} you provided was invalid.  Please provide a valid "
        "ID, -2 to replay all events, or -1 to replay only new events."
    )


def invalid_connection_type(kind: object) -> str:
    return f"400::Invalid connection type {kind}"


def missing_cookie(client_id: str) -> str:
    return (
        f"400::Client {client_id} has established a session, but no BAYEUX_BROWSER cookie present"
    )


def reply_to(message: Message, **fields: Any) -> Message:
    """A reply echoing the request's `channel`, `id` (same JSON type) and `subscription`."""
    reply: Message = {"channel": message.get("channel")}
    if "id" in message:
        reply["id"] = message["id"]
    if "subscription" in message:
        reply["subscription"] = message["subscription"]
    reply.update(fields)
    return reply


def failure(message: Message, error: str, **fields: Any) -> Message:
    return reply_to(message, error=error, successful=False, **fields)
