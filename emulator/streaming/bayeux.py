"""The Bayeux meta protocol as Salesforce serves it (handshake, connect, subscribe, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.streaming import errors
from emulator.streaming.allocation import DeliveryAllocation
from emulator.streaming.config import StreamingConfig
from emulator.streaming.errors import Message, failure, reply_to
from emulator.streaming.eventlog import EventBus
from emulator.streaming.faults import StreamingFaults
from emulator.streaming.ids import new_browser_id
from emulator.streaming.sessions import BayeuxClient, ClientRegistry

LONG_POLLING = "long-polling"
_RETRY_ADVICE = {"interval": 0, "reconnect": "retry"}
_HANDSHAKE_ADVICE = {"interval": 0, "reconnect": "handshake"}
_NONE_ADVICE = {"interval": 0, "reconnect": "none"}


@dataclass(frozen=True)
class RequestContext:
    """What the HTTP layer knows about one /cometd request."""

    authorization: str | None
    browser_cookie: str | None
    host_is_ip: bool


@dataclass
class BayeuxResult:
    replies: list[Message]
    set_browser_cookie: str | None = None


class BayeuxServer:
    """Processes one batch of Bayeux messages; a lone /meta/connect is held as a long poll."""

    def __init__(
        self,
        *,
        config: StreamingConfig,
        bus: EventBus,
        clients: ClientRegistry,
        allocation: DeliveryAllocation,
        faults: StreamingFaults,
        channel_exists: Callable[[str], bool],
        validate_bearer: Callable[[str | None], bool],
    ) -> None:
        self.config = config
        self.bus = bus
        self.clients = clients
        self.allocation = allocation
        self.faults = faults
        self.channel_exists = channel_exists
        self.validate_bearer = validate_bearer
        self.closing = False

    @property
    def advice_timeout_ms(self) -> int:
        if self.config.advice_timeout_ms is not None:
            return self.config.advice_timeout_ms
        return max(int(self.config.long_poll_timeout_s * 1000), 5000)

    async def handle(self, messages: list[Message], ctx: RequestContext) -> BayeuxResult:
        result = BayeuxResult(replies=[])
        held: tuple[int, Message, BayeuxClient] | None = None
        for message in messages:
            channel = message.get("channel")
            if channel == "/meta/handshake":
                result.replies.append(self._handshake(message, ctx, result))
            elif channel == "/meta/connect":
                reply, client = self._connect_checks(message, ctx)
                if client is None:
                    result.replies.append(reply)
                else:
                    held = (len(result.replies), message, client)
                    result.replies.append(reply)
            elif channel == "/meta/subscribe":
                result.replies.append(self._subscribe(message, ctx))
            elif channel == "/meta/unsubscribe":
                result.replies.append(self._unsubscribe(message, ctx))
            elif channel == "/meta/disconnect":
                result.replies.append(self._disconnect(message, ctx))
            else:
                result.replies.append(failure(message, f"403::Publish not allowed {channel}"))
        if held is not None:
            index, message, client = held
            wait = len(messages) == 1 and client.connected
            events, reply = await self._long_poll(message, client, wait=wait)
            result.replies[index] = reply
            result.replies[:0] = events
        return result

    def _handshake(self, message: Message, ctx: RequestContext, result: BayeuxResult) -> Message:
        if ctx.authorization is None or not self.validate_bearer(ctx.authorization):
            reason = errors.AUTH_REQUIRED if ctx.authorization is None else errors.AUTH_INVALID
            return failure(
                message,
                errors.HANDSHAKE_DENIED,
                ext={"sfdc": {"failureReason": reason}},
                advice={"reconnect": "none"},
            )
        offered = message.get("supportedConnectionTypes")
        if isinstance(offered, list) and LONG_POLLING not in offered:
            return failure(message, errors.invalid_connection_type(",".join(map(str, offered))))
        self.clients.sweep()
        if self.clients.count() >= self.config.max_concurrent_clients:
            return failure(
                message,
                errors.HANDSHAKE_DENIED,
                ext={"sfdc": {"failureReason": errors.CONCURRENT_CLIENTS}},
                advice={"reconnect": "none"},
            )
        browser_id = ctx.browser_cookie or new_browser_id()
        if ctx.browser_cookie is None:
            result.set_browser_cookie = browser_id
        client = self.clients.create(browser_id)
        return reply_to(
            message,
            ext={"replay": True, "payload.format": True},
            minimumVersion="1.0",
            clientId=client.client_id,
            supportedConnectionTypes=[LONG_POLLING],
            version="1.0",
            successful=True,
        )

    def _session(
        self, message: Message, ctx: RequestContext
    ) -> tuple[Message | None, BayeuxClient | None]:
        """Common checks for every post-handshake message: token, client id, cookie."""
        client_id = message.get("clientId")
        if not self.validate_bearer(ctx.authorization):
            extra = {"clientId": client_id} if client_id is not None else {}
            advice = dict(_NONE_ADVICE)
            return failure(message, errors.AUTH_INVALID, advice=advice, **extra), None
        if client_id is None:
            return failure(message, errors.NOT_HANDSHAKEN, advice=dict(_HANDSHAKE_ADVICE)), None
        client = self.clients.get(client_id)
        if client is None:
            return failure(message, errors.UNKNOWN_CLIENT, advice=dict(_HANDSHAKE_ADVICE)), None
        self.clients.touch(client)
        if self._cookie_missing(ctx):
            reply = failure(
                message,
                errors.missing_cookie(client.client_id),
                clientId=client.client_id,
                advice=dict(_HANDSHAKE_ADVICE),
            )
            return reply, None
        return None, client

    def _cookie_missing(self, ctx: RequestContext) -> bool:
        # aiohttp ignores cookies from IP-address hosts, so only host names enforce the rule.
        return (
            self.config.require_browser_cookie and not ctx.host_is_ip and ctx.browser_cookie is None
        )

    def _connect_checks(
        self, message: Message, ctx: RequestContext
    ) -> tuple[Message, BayeuxClient | None]:
        problem, client = self._session(message, ctx)
        if problem is not None or client is None:
            return problem or failure(message, errors.UNKNOWN_CLIENT), None
        kind = message.get("connectionType", LONG_POLLING)
        if kind != LONG_POLLING:
            return failure(message, errors.invalid_connection_type(kind)), None
        if self.allocation.remaining() <= 0:
            reply = failure(
                message,
                errors.DAILY_LIMIT,
                clientId=client.client_id,
                advice=dict(_NONE_ADVICE),
            )
            return reply, None
        return reply_to(message, clientId=client.client_id, successful=True), client

    async def _long_poll(
        self, message: Message, client: BayeuxClient, *, wait: bool
    ) -> tuple[list[Message], Message]:
        reply = reply_to(message, clientId=client.client_id, successful=True)
        if not client.connected:
            client.connected = True
            reply["advice"] = {**_RETRY_ADVICE, "timeout": self.advice_timeout_ms}
        client.poll_token += 1
        token = client.poll_token
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.long_poll_timeout_s
        client.polls += 1
        try:
            while True:
                client.wakeup.clear()
                events = self.collect(client)
                remaining = deadline - loop.time()
                if events or not wait or remaining <= 0 or self._poll_over(client, token):
                    return events, reply
                try:
                    await asyncio.wait_for(client.wakeup.wait(), remaining)
                except TimeoutError:
                    continue
        finally:
            client.polls -= 1
            self.clients.touch(client)

    def _poll_over(self, client: BayeuxClient, token: int) -> bool:
        return self.closing or client.poll_token != token or not self.clients.is_live(client)

    def collect(self, client: BayeuxClient) -> list[Message]:
        """Take the next events for a client (fair across channels), counting deliveries."""
        limit = min(self.config.max_events_per_response, self.allocation.remaining())
        channels = list(client.subscriptions)
        if not channels or limit <= 0 or not self.clients.is_live(client):
            return []
        client.rotation = (client.rotation + 1) % len(channels)
        ordered = channels[client.rotation :] + channels[: client.rotation]
        out: list[Message] = []
        for channel in ordered:
            events = self.bus.read(channel, client.subscriptions[channel], limit - len(out))
            if events:
                client.subscriptions[channel] = events[-1].replay_id
                out.extend({"channel": channel, "data": event.data()} for event in events)
        out = self._with_duplicates(out)
        client.delivered += len(out)
        self.allocation.record(len(out))
        return out

    def _with_duplicates(self, events: list[Message]) -> list[Message]:
        if self.faults.duplicates <= 0 or not events:
            return events
        doubled = events[: self.faults.duplicates]
        self.faults.duplicates -= len(doubled)
        return events + doubled

    def _subscribe(self, message: Message, ctx: RequestContext) -> Message:
        problem, client = self._session(message, ctx)
        if problem is not None or client is None:
            return problem or failure(message, errors.UNKNOWN_CLIENT)
        channel = message.get("subscription")
        if not isinstance(channel, str) or not channel:
            return failure(message, errors.NO_CHANNEL, clientId=client.client_id)
        if not channel.startswith("/"):
            return failure(message, errors.NO_LEADING_SLASH, clientId=client.client_id)
        if not self.channel_exists(channel):
            return failure(message, errors.no_such_channel(channel), clientId=client.client_id)
        cursor = self._resolve_replay(channel, message.get("ext"))
        if channel in client.subscriptions and _replay_value(message, channel) == -1:
            cursor = client.subscriptions[channel]  # a repeated subscribe keeps its position
        if cursor is None:
            replay_id = message["ext"]["replay"][channel]
            return failure(message, errors.invalid_replay_id(replay_id), clientId=client.client_id)
        client.subscriptions[channel] = cursor
        client.wakeup.set()
        return reply_to(message, clientId=client.client_id, successful=True)

    def _resolve_replay(self, channel: str, ext: Any) -> int | None:
        """The cursor for a subscription, or None when the replay id is not (any longer) valid."""
        wanted = _replay_value({"ext": ext}, channel)
        if wanted == -1 or isinstance(wanted, bool) or not isinstance(wanted, int):
            return self.bus.latest(channel) if wanted == -1 else None
        if wanted == -2:
            return self.bus.oldest_cursor(channel)
        return wanted if self.bus.is_replayable(channel, wanted) else None

    def _unsubscribe(self, message: Message, ctx: RequestContext) -> Message:
        problem, client = self._session(message, ctx)
        if problem is not None or client is None:
            return problem or failure(message, errors.UNKNOWN_CLIENT)
        client.subscriptions.pop(str(message.get("subscription")), None)
        return reply_to(message, clientId=client.client_id, successful=True)

    def _disconnect(self, message: Message, ctx: RequestContext) -> Message:
        problem, client = self._session(message, ctx)
        if problem is not None or client is None:
            return problem or failure(message, errors.UNKNOWN_CLIENT)
        self.clients.drop(client.client_id)
        return reply_to(message, clientId=client.client_id, successful=True)


def _replay_value(message: Message, channel: str) -> Any:
    """`ext.replay[channel]` of a subscribe message; -1 (new events only) when absent."""
    ext = message.get("ext")
    replay = ext.get("replay") if isinstance(ext, dict) else None
    return replay.get(channel, -1) if isinstance(replay, dict) else -1
