"""A `backfill` operation: `lawful backfill` of the requested entities, inside the bridge."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workers.backfill.run import backfill
from workers.operations.progress import OperationProgress
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import Settings


class OperationError(Exception):
    """An operation that cannot run as requested (the message is stored on it)."""


def requested_entities(operation: Mapping[str, str], followed: tuple[str, ...]) -> list[str]:
    """The operation's `scope` (comma-separated entities), or every followed entity."""
    scope = [entity for entity in operation.get("scope", "").split(",") if entity]
    unknown = sorted(set(scope) - set(followed))
    if unknown:
        raise OperationError(f"not followed by lawful (LAWFUL_BRIDGE__ENTITIES): {unknown}")
    return scope or list(followed)


class BackfillExecutor:
    """Runs `backfill()` on the bridge's producer; the REST adapter is built on first use."""

    def __init__(
        self,
        settings: Settings,
        producer: Any,
        rest_factory: Callable[[], SimpleSalesforceRest],
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._rest_factory = rest_factory
        self._rest: SimpleSalesforceRest | None = None

    async def __call__(self, operation: Mapping[str, str], progress: OperationProgress) -> None:
        entities = requested_entities(operation, self._settings.bridge.entities)
        if self._rest is None:
            self._rest = self._rest_factory()
        await backfill(
            self._rest,
            self._producer,
            entities,
            page_size=self._settings.bridge.backfill_page_size,
            topic_prefix=self._settings.kafka.topic_prefix,
            progress=progress,
        )

    def close(self) -> None:
        if self._rest is not None:
            self._rest.close()
            self._rest = None
