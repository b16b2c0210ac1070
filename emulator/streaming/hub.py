"""The streaming hub: event bus, CometD sessions and fault injection behind one object."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from emulator.changes import ChangeType, Transaction
from emulator.streaming.admin import add_admin_routes
from emulator.streaming.allocation import DeliveryAllocation
from emulator.streaming.bayeux import BayeuxServer
from emulator.streaming.cdc import (
    EMPTY_RECORD_ID,
    ChangeEventSource,
    change_event_channel,
    overflow_event,
    plan_change_events,
    synthetic_change,
)
from emulator.streaming.config import StreamingConfig
from emulator.streaming.eventlog import EventBus
from emulator.streaming.faults import HttpFault, StreamingFaults
from emulator.streaming.http import CometdEndpoint
from emulator.streaming.ids import new_event_uuid
from emulator.streaming.platform_events import (
    CONSENT_EVENT_FIELDS,
    PlatformEventSource,
    event_channel,
    event_payload,
)
from emulator.streaming.sessions import ClientRegistry
from emulator.streaming.values import iso_z_from_epoch

ALL_CHANGE_EVENTS = "/data/ChangeEvents"
_GAP_TYPES: dict[str, ChangeType] = {
    "GAP_CREATE": "GAP_CREATE",
    "GAP_UPDATE": "GAP_UPDATE",
    "GAP_DELETE": "GAP_DELETE",
    "GAP_UNDELETE": "GAP_UNDELETE",
}


class StreamingHub:
    """Receives committed transactions and platform events; serves them over CometD."""

    def __init__(self, config: StreamingConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.bus = EventBus(
            retention_seconds=config.retention_seconds,
            first_replay_id=config.first_replay_id,
            clock=clock,
        )
        self.clients = ClientRegistry(expiry_s=config.client_expiry_s)
        self.allocation = DeliveryAllocation(config.daily_delivery_allocation, clock)
        self.faults = StreamingFaults()
        self.cdc_entities: set[str] = set()
        self.custom_channels: dict[str, frozenset[str]] = {}  # /data/X__chn -> entities
        self.platform_events: dict[str, dict[str, str]] = {
            "ConsentEvent": dict(CONSENT_EVENT_FIELDS)  # the standard event is always defined
        }
        self._channel_cache: dict[str, tuple[str, ...]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._wake_scheduled = False
        self._wake_lock = threading.Lock()
        self.server: BayeuxServer | None = None

    # -- definitions -----------------------------------------------------------------------

    def register_cdc_entity(self, name: str) -> None:
        self.cdc_entities.add(name)
        self._channel_cache.clear()

    def register_custom_channel(self, name: str, entities: list[str]) -> None:
        """A `/data/<name>__chn` channel carrying the change events of the given entities."""
        channel = name if name.startswith("/data/") else f"/data/{name}"
        self.custom_channels[channel] = frozenset(entities)
        self.cdc_entities.update(entities)
        self._channel_cache.clear()

    def register_platform_event(self, name: str, fields: dict[str, str]) -> None:
        self.platform_events[name] = dict(fields)

    def platform_event_fields(self, name: str) -> dict[str, str] | None:
        """The registered fields of a platform event (None when it is not defined)."""
        return self.platform_events.get(name)

    def channel_exists(self, channel: str) -> bool:
        if channel == ALL_CHANGE_EVENTS or channel in self.custom_channels:
            return True
        if channel.startswith("/event/"):
            return channel[len("/event/") :] in self.platform_events
        return any(change_event_channel(entity) == channel for entity in self.cdc_entities)

    def _channels_for(self, entity: str) -> tuple[str, ...]:
        channels = self._channel_cache.get(entity)
        if channels is None:
            custom = [ch for ch, members in self.custom_channels.items() if entity in members]
            channels = (change_event_channel(entity), ALL_CHANGE_EVENTS, *custom)
            self._channel_cache[entity] = channels
        return channels

    # -- publishing (any thread) -------------------------------------------------------------

    def transaction_committed(self, transaction: Transaction) -> None:
        """ChangeSink: store the transaction's change events and wake waiting pollers."""
        sources = plan_change_events(
            transaction,
            self.cdc_entities,
            merge=self.config.merge_identical_changes,
            overflow_threshold=self.config.overflow_threshold,
            max_event_chars=self.config.max_event_chars,
        )
        self._publish_changes(sources)

    def _publish_changes(self, sources: list[ChangeEventSource]) -> list[int]:
        if not sources:
            return []
        batch = [(self._channels_for(source.change.entity), source) for source in sources]
        ids = self.bus.publish(batch)
        self._wake()
        return ids

    def publish_platform_event(self, event_name: str, payload: dict[str, Any]) -> str:
        """EventPublisher: store a platform event on `/event/<name>`; returns its EventUuid."""
        defined = self.platform_events.setdefault(event_name, {})
        event_uuid = new_event_uuid()
        # Delivered payloads carry every field of the event's schema; unset ones are null.
        fields = dict.fromkeys(defined) | payload
        body = event_payload(
            {k: v for k, v in fields.items() if k not in ("CreatedDate", "CreatedById")},
            created_date=str(payload.get("CreatedDate") or iso_z_from_epoch(self.clock())),
            created_by_id=str(payload.get("CreatedById") or self.config.default_user_id),
        )
        source = PlatformEventSource(event_name, body, event_uuid)
        self.bus.publish([((event_channel(event_name),), source)])
        self._wake()
        return event_uuid

    def _wake(self) -> None:
        """Wake held long polls, from the loop thread directly or via call_soon_threadsafe."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self.clients.wake_all()
            return
        with self._wake_lock:
            if self._wake_scheduled:
                return
            self._wake_scheduled = True
        try:
            loop.call_soon_threadsafe(self._wake_from_loop)
        except RuntimeError:  # the loop closed between the check and the call
            self._wake_scheduled = False

    def _wake_from_loop(self) -> None:
        with self._wake_lock:
            self._wake_scheduled = False
        self.clients.wake_all()

    # -- HTTP ----------------------------------------------------------------------------------

    def install(
        self, app: web.Application, *, validate_bearer: Callable[[str | None], bool]
    ) -> None:
        """Add the /cometd and /_emulator/streaming routes to an aiohttp application."""
        self.server = BayeuxServer(
            config=self.config,
            bus=self.bus,
            clients=self.clients,
            allocation=self.allocation,
            faults=self.faults,
            channel_exists=self.channel_exists,
            validate_bearer=validate_bearer,
        )
        CometdEndpoint(self.server, self.faults, self.config.max_request_bytes).add_routes(app)
        add_admin_routes(app, self)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)

    async def _on_startup(self, _app: web.Application) -> None:
        self.attach_loop(asyncio.get_running_loop())

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tell the hub which loop serves CometD (done automatically on app startup)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        if self.server is not None:
            self.server.closing = False

    async def _on_shutdown(self, _app: web.Application) -> None:
        if self.server is not None:
            self.server.closing = True
        self.clients.wake_all()

    # -- fault injection and inspection --------------------------------------------------------

    def drop_clients(self, client_id: str | None = None) -> int:
        """Forget one client or all of them: their next connect gets `403::Unknown client`."""
        return self.clients.drop(client_id)

    def force_gap(self, entity: str, record_ids: list[str], change_type: ChangeType) -> int:
        """Publish one GAP_* event for the given records; returns its replay id."""
        gap_type = change_type if change_type.startswith("GAP_") else f"GAP_{change_type}"
        if gap_type not in _GAP_TYPES:
            raise ValueError(f"change_type must be one of {sorted(_GAP_TYPES)}")
        change = self._synthetic(entity, _GAP_TYPES[gap_type], record_ids[0] if record_ids else "")
        return self._publish_changes([ChangeEventSource(change, list(record_ids))])[0]

    def force_overflow(self, entity: str) -> int:
        """Publish a GAP_OVERFLOW event for an entity; returns its replay id."""
        change = self._synthetic(entity, "GAP_OVERFLOW", EMPTY_RECORD_ID)
        return self._publish_changes([overflow_event(change)])[0]

    def _synthetic(self, entity: str, change_type: ChangeType, record_id: str) -> Any:
        return synthetic_change(
            entity,
            change_type,
            record_id,
            transaction_key=str(uuid.uuid4()),
            commit_timestamp_ms=int(self.clock()) * 1000,
            commit_user=self.config.default_user_id,
        )

    def expire_retention(self) -> None:
        """Make every replay id stored so far fall outside the retention window."""
        self.bus.expire_all()

    def duplicate_deliveries(self, count: int) -> None:
        """Deliver the next `count` events twice (same replay id)."""
        self.faults.duplicates += count

    def fail_next_requests(self, kind: HttpFault, count: int = 1) -> None:
        """Spoil the next /cometd requests: `busy` (in-band 503), `http503` (HTML), `drop`."""
        self.faults.fail_next(kind, count)

    def exhaust_daily_allocation(self) -> None:
        self.allocation.exhaust()

    def reset_faults(self) -> None:
        self.faults.reset()
        self.allocation.reset()

    def delivery_usage(self) -> tuple[int, int]:
        """(used, max) of the rolling 24-hour delivery allocation, for /limits."""
        return self.allocation.used(), self.allocation.maximum

    def stats(self) -> dict[str, Any]:
        used, maximum = self.delivery_usage()
        return {
            "clients": {
                c.client_id: {"subscriptions": dict(c.subscriptions), "delivered": c.delivered}
                for c in self.clients.all()
            },
            "channels": self.bus.sizes(),
            "deliveries": {"used": used, "max": maximum},
            "dropped_clients": self.clients.dropped_total,
        }
