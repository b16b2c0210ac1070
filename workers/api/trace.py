"""The engine's `--explain` trace of a person's cells, when the worker's state is available.

The worker keeps each person's `AggregateState` in its Faust table; the projector copies the
table's changelog to Redis under `<prefix>state:<Individual id>` (workers/projection/states.py),
which lets the API re-run the engine with `explain=True` at the snapshot's `evaluated_at`, using
the purpose catalogue the workers share in Redis. Without that key the cell explanation stands
alone.
"""

from __future__ import annotations

import dataclasses

import redis.asyncio
import structlog

from handlers.evaluate import evaluate
from handlers.purposes import purpose_from_fields
from schemas.aggregate import load_state
from schemas.config import RulesConfig
from schemas.enums import Channel
from schemas.errors import LawfulError
from schemas.messages import PermissionCell, PermissionsSnapshot
from workers.api.models import Trace
from workers.pipeline.purposes import PurposeCatalogue
from workers.projection.keys import Keys

log = structlog.get_logger("lawful.api")


def state_key(prefix: str, individual_id: str) -> str:
    return Keys(prefix).state(individual_id)


class Explainer:
    """Rule-by-rule traces from the stored state and the shared purpose catalogue."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str, rules: RulesConfig) -> None:
        self.client = client
        self.prefix = prefix
        self.catalogue = PurposeCatalogue(client, prefix, rules, purpose_from_fields)

    async def traces(
        self, snapshot: PermissionsSnapshot, cells: list[PermissionCell]
    ) -> dict[tuple[str, Channel | None], Trace]:
        """Trace per (purpose, channel) of `cells`; empty when the state is not stored."""
        raw = await self.client.get(state_key(self.prefix, snapshot.individual_id))
        if raw is None:
            return {}
        state = load_state(raw if isinstance(raw, bytes) else raw.encode())
        await self.catalogue.refresh()
        policy = self.catalogue.policy
        found: dict[tuple[str, Channel | None], Trace] = {}
        for cell in cells:
            if cell.purpose_id not in policy.purposes:
                continue
            try:
                decision = evaluate(
                    state.person,
                    policy,
                    cell.purpose_id,
                    cell.channel,
                    snapshot.evaluated_at,
                    explain=True,
                )
            except LawfulError as error:  # e.g. the catalogue changed since the snapshot
                log.warning(
                    "trace unavailable", purpose_id=cell.purpose_id, error=type(error).__name__
                )
                continue
            found[cell.purpose_id, cell.channel] = [
                dataclasses.asdict(check) for check in decision.trace or ()
            ]
        return found
