"""The purpose catalogue: DataUsePurpose + Lawful_LIA__c, read by SOQL at start, cached in Redis
(shared by all workers), refreshed when a change of either passes through the records agent.

Redis may lose the cache (flushed, failed over without persistence). An epoch key, written with
the records, shows it: a worker that finds it gone writes back the records it last built from
(HSETNX, so a change applied since the loss stays) instead of building an empty catalogue, which
would dead-letter every event naming a purpose and withdraw every published cell. A purpose
deleted while the cache was lost may come back until the next start re-reads Salesforce."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio
import structlog

from schemas.config import RulesConfig
from schemas.errors import LawfulError
from schemas.policy import Policy
from schemas.purpose import Purpose
from workers.pipeline.ports import CatalogueRecord, RecordReader
from workers.pipeline.resync import whole_entity_soql

log = structlog.get_logger("lawful.pipeline.purposes")

PURPOSE_ENTITY = "DataUsePurpose"
LIA_ENTITY = "Lawful_LIA__c"
LIA_LOOKUP = "Lawful_LIA__c"  # DataUsePurpose field holding the LIA record id

PurposeFromFields = Callable[[dict[str, Any], dict[str, Any] | None], Purpose]


def load_rules(path: Path | None) -> RulesConfig:
    """Engine configuration from `settings.engine_config_file` (JSON), or the defaults."""
    if path is None:
        return RulesConfig()
    return RulesConfig.model_validate_json(path.read_bytes())


def build_policy(
    rules: RulesConfig,
    purposes: dict[str, dict[str, Any]],
    lias: dict[str, dict[str, Any]],
    purpose_from_fields: PurposeFromFields,
) -> Policy:
    """A Policy from raw records; a purpose that cannot be read is left out (and logged)."""
    built: list[Purpose] = []
    for record_id, fields in sorted(purposes.items()):
        lia_id = fields.get(LIA_LOOKUP)
        lia = lias.get(str(lia_id)) if lia_id else None
        try:
            built.append(purpose_from_fields({"Id": record_id, **fields}, lia))
        except (LawfulError, ValueError) as exc:
            log.warning("purpose_skipped", purpose_id=record_id, error=str(exc)[:300])
    known = {p.id for p in built}
    usable = [p for p in built if p.parent_id is None or p.parent_id in known]
    return Policy(rules, usable)


class PurposeCatalogue:
    """The current `Policy` of this worker; Redis holds the raw records and a version counter."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        key_prefix: str,
        rules: RulesConfig,
        purpose_from_fields: PurposeFromFields,
    ) -> None:
        self._client = client
        self._keys = {
            PURPOSE_ENTITY: f"{key_prefix}catalogue:purposes",
            LIA_ENTITY: f"{key_prefix}catalogue:lias",
        }
        self._version_key = f"{key_prefix}catalogue:version"
        self._epoch_key = f"{key_prefix}catalogue:epoch"
        self._last: dict[str, dict[str, dict[str, Any]]] | None = None  # records last built from
        self._rules = rules
        self._from_fields = purpose_from_fields
        self._seen: tuple[bytes | str | None, int] | None = None  # (epoch, version) built from
        self.policy = Policy(rules, ())

    async def load_from_salesforce(self, reader: RecordReader) -> int:
        """SOQL both objects, replace the cached records, rebuild; returns the purpose count."""
        tables: dict[str, dict[str, Any]] = {}
        for entity in (PURPOSE_ENTITY, LIA_ENTITY):
            described = await reader.describe(entity)
            names = [str(f["name"]) for f in described.get("fields", ())]
            rows = await reader.query_all(whole_entity_soql(entity, names))
            tables[entity] = {
                str(r["Id"]): {k: v for k, v in r.items() if k != "attributes"} for r in rows
            }
        pipe = self._client.pipeline(transaction=True)
        for entity, rows_by_id in tables.items():
            pipe.delete(self._keys[entity])
            if rows_by_id:
                pipe.hset(
                    self._keys[entity],
                    mapping={rid: orjson.dumps(f) for rid, f in rows_by_id.items()},
                )
        pipe.set(self._epoch_key, uuid.uuid4().hex)
        pipe.incr(self._version_key)
        await pipe.execute()
        await self.refresh()
        return len(self.policy.purposes)

    async def apply(self, record: CatalogueRecord) -> None:
        """A DataUsePurpose / Lawful_LIA__c change from the records agent."""
        key = self._keys.get(record.entity)
        if key is None:
            return
        pipe = self._client.pipeline(transaction=True)
        if record.fields is None:
            pipe.hdel(key, record.record_id)
        else:
            pipe.hset(key, record.record_id, orjson.dumps(record.fields))
        pipe.incr(self._version_key)
        await pipe.execute()
        await self.refresh()

    async def refresh(self) -> bool:
        """Rebuild the policy if another worker (or we) changed the cache; True if rebuilt."""
        raw, epoch = await self._client.mget(self._version_key, self._epoch_key)
        if epoch is None:
            if self._last is not None:
                await self._restore(self._last)
            else:  # the first reader of a cache seeded record by record (`apply`)
                await self._client.set(self._epoch_key, uuid.uuid4().hex, nx=True)
            raw, epoch = await self._client.mget(self._version_key, self._epoch_key)
        seen = (epoch, int(raw) if raw is not None else 0)  # a restored cache has a new epoch
        if seen == self._seen:
            return False
        purposes = await self._read(self._keys[PURPOSE_ENTITY])
        lias = await self._read(self._keys[LIA_ENTITY])
        self._last = {PURPOSE_ENTITY: purposes, LIA_ENTITY: lias}
        try:
            self.policy = build_policy(self._rules, purposes, lias, self._from_fields)
        except LawfulError as exc:  # e.g. a parent cycle: keep the previous catalogue
            log.warning("catalogue_rejected", error=str(exc)[:300])
        self._seen = seen
        log.info("catalogue_loaded", purposes=len(self.policy.purposes), version=seen[1])
        return True

    async def _restore(self, records: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Write back the records of a lost cache, keeping any written since (HSETNX)."""
        pipe = self._client.pipeline(transaction=True)
        for entity, rows_by_id in records.items():
            for record_id, fields in rows_by_id.items():
                pipe.hsetnx(self._keys[entity], record_id, orjson.dumps(fields))
        pipe.set(self._epoch_key, uuid.uuid4().hex)
        pipe.incr(self._version_key)
        await pipe.execute()
        log.warning("catalogue_cache_restored", purposes=len(records[PURPOSE_ENTITY]))

    async def _read(self, key: str) -> dict[str, dict[str, Any]]:
        raw = await self._client.hgetall(key)
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): orjson.loads(v)
            for k, v in raw.items()
        }
