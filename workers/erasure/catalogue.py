"""The engine policy erasure plans with: the purpose catalogue the workers share in Redis
(`workers.pipeline.purposes.PurposeCatalogue`), read by SOQL when that cache is empty.

Without the catalogue the engine cannot fold a consent (its purpose is unknown) nor see a
contract-based purpose, so it would erase data the law requires to be kept: a failed load is
raised (retried, then the request is blocked with the reason), never planned around.
"""

from __future__ import annotations

import time

import redis.asyncio
import structlog

from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from schemas.policy import Policy
from workers.pipeline.ports import RecordReader
from workers.pipeline.purposes import PurposeCatalogue

log = structlog.get_logger("lawful.erasure")


class EngineCatalogue:
    """Purposes + rules for planning; an empty cache is filled from Salesforce (throttled)."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        key_prefix: str,
        rules: RulesConfig,
        reader: RecordReader | None,
        *,
        reload_seconds: float = 60.0,
    ) -> None:
        self.catalogue = PurposeCatalogue(client, key_prefix, rules, purpose_from_fields)
        self.reader = reader
        self.reload_seconds = reload_seconds
        self._loaded_at: float | None = None

    def _may_load(self) -> bool:
        if self.reader is None:
            return False
        return self._loaded_at is None or time.monotonic() - self._loaded_at > self.reload_seconds

    async def policy(self) -> Policy:
        """The current catalogue (Redis first; SOQL through the REST adapter if it is empty)."""
        await self.catalogue.refresh()
        if not self.catalogue.policy.purposes and self.reader is not None and self._may_load():
            count = await self.catalogue.load_from_salesforce(self.reader)
            self._loaded_at = time.monotonic()
            log.info("erasure_catalogue_from_salesforce", purposes=count)
        return self.catalogue.policy
