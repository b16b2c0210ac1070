"""The streaming hub: event bus, CometD sessions and fault injection behind one object."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from emulator.changes import Transaction
from emulator.streaming.config import StreamingConfig


class StreamingHub:
    """Receives committed transactions and platform events; serves them over CometD."""

    def __init__(self, config: StreamingConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.cdc_entities: set[str] = set()
        self.platform_events: dict[str, dict[str, str]] = {}

    def register_cdc_entity(self, name: str) -> None:
        self.cdc_entities.add(name)

    def register_platform_event(self, name: str, fields: dict[str, str]) -> None:
        self.platform_events[name] = dict(fields)

    def transaction_committed(self, transaction: Transaction) -> None:
        """ChangeSink: turn a committed transaction into change events (skeleton)."""

    def publish_platform_event(self, event_name: str, payload: dict[str, Any]) -> str:
        """EventPublisher: store a platform event and return its EventUuid (skeleton)."""
        return str(uuid.uuid4())

    def install(
        self, app: web.Application, *, validate_bearer: Callable[[str | None], bool]
    ) -> None:
        """Add the /cometd and /_emulator/streaming routes (skeleton)."""

    def drop_clients(self, client_id: str | None = None) -> int:
        return 0

    def force_gap(self, entity: str, record_ids: list[str], change_type: str) -> None:
        """Publish a GAP_* event (skeleton)."""

    def force_overflow(self, entity: str) -> None:
        """Publish a GAP_OVERFLOW event (skeleton)."""

    def expire_retention(self) -> None:
        """Make every stored replay id too old (skeleton)."""
