"""Privacy-details search over a large projection: p50/p95 latency per example query.

Usage: `uv run --frozen python -m bench.search [--persons 1000000] [--runs 50]
[--redis-url URL --prefix P]`

Loads synthetic persons (3 cells each: two marketing products on a channel, one contract cell)
through the projector's own write path (pipelined batches) into an embedded valkey on a free port
(or, with --redis-url, a running Redis under a dedicated key prefix, deleted at the end), reports
the Redis memory the projection takes, then times each example query end to end (`run_search`:
plan, count, first page, documents) with the result cache cleared before every run ("cold"),
and the next page through the cursor ("page 2"); `walked` or `materialised` says which path
answered. Baseline, same run and client: one `GET` round trip of a person document.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import redis.asyncio

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import PermissionCell, PermissionsSnapshot, PurposeInfo
from workers.embedded.redis import start_embedded_redis
from workers.projection.consumer import clear_projection
from workers.projection.keys import Keys
from workers.projection.query import SearchQuery
from workers.projection.search import SearchPage, run_search
from workers.projection.store import write_snapshots

NOW = datetime(2026, 11, 2, tzinfo=UTC)
PRODUCTS = {
    "insurance": ["pet-insurance", "car-insurance", "home-insurance", "travel-insurance"],
    "banking": ["savings", "credit-card", "mortgage"],
    "travel": ["flights", "hotels", "cruises"],
}
INFO = {p: PurposeInfo(purpose_id=p, category="MARKETING", parent_id=parent)
        for parent, products in PRODUCTS.items() for p in products}  # fmt: skip
INFO["billing"] = PurposeInfo(purpose_id="billing", category="NON_MARKETING")
CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.PHONE_LIVE, Channel.POST]
REFUSALS = [Reason.CONSENT_WITHDRAWN, Reason.CHANNEL_OPT_OUT, Reason.CONSENT_EXPIRED]
BRANDS = [f"brand-{i}" for i in range(5)]
COUNTRIES = ["DE", "FR", "GB", "IT", "ES"]

QUERIES: dict[str, dict[str, str]] = {
    "email consent, pet insurance, expiring next week": {
        "purpose": "pet-insurance", "channel": "EMAIL", "permitted": "true",
        "expires_from": NOW.isoformat(), "expires_to": (NOW + timedelta(days=7)).isoformat()},
    "SMS withdrawals in one brand": {
        "reason": "CONSENT_WITHDRAWN", "channel": "SMS", "brand": "brand-2"},
    "insurance refusals in FR": {"purpose": "insurance", "permitted": "false",
                                 "jurisdiction": "FR"},
    "anything expiring tomorrow": {
        "expires_from": NOW.isoformat(), "expires_to": (NOW + timedelta(days=1)).isoformat()},
    "broad: marketing permitted (category)": {"purpose": "MARKETING", "permitted": "true"},
}  # fmt: skip


def synthetic(index: int, rng: random.Random) -> PermissionsSnapshot:
    cells = []
    for purpose in rng.sample(sorted(set(INFO) - {"billing"}), 2):
        permitted = rng.random() < 0.8
        until = NOW + timedelta(days=rng.uniform(0, 730)) if permitted else None
        cells.append(PermissionCell.model_construct(
            purpose_id=purpose, channel=rng.choice(CHANNELS), permitted=permitted,
            reason=Reason.CONSENT_ACTIVE if permitted else rng.choice(REFUSALS), rule="R5",
            row="consent", effective_basis=Basis.CONSENT, valid_until=until,
            secondary_reasons=()))  # fmt: skip
    cells.append(PermissionCell.model_construct(
        purpose_id="billing", channel=None, permitted=True, reason=Reason.CONTRACT_ACTIVE,
        rule="R9", row="contract", effective_basis=Basis.CONTRACT, valid_until=None,
        secondary_reasons=()))  # fmt: skip
    return PermissionsSnapshot.model_construct(
        schema_version=1, individual_id=f"0PK{index:012d}", org_id=f"00D{index % 2}",
        brand=rng.choice(BRANDS), jurisdiction=rng.choice(COUNTRIES), evaluated_at=NOW,
        erased=False, purposes=tuple(INFO[c.purpose_id] for c in cells), cells=tuple(cells),
        next_horizon=None)  # fmt: skip


async def load(client: redis.asyncio.Redis, keys: Keys, persons: int, batch: int) -> float:
    rng = random.Random(7)
    started = time.perf_counter()
    for first in range(0, persons, batch):
        snapshots = [synthetic(i, rng) for i in range(first, min(first + batch, persons))]
        await write_snapshots(client, keys, snapshots)
        if first and first % 100_000 == 0:
            print(f"  loaded {first:,} ({first / (time.perf_counter() - started):,.0f}/s)")
    return time.perf_counter() - started


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)
    return f"p50 {statistics.median(samples):7.2f} ms  p95 {p95:7.2f} ms"


async def server_ms(client: redis.asyncio.Redis, runs: int) -> float:
    """Redis time per run of the commands since the last CONFIG RESETSTAT (commandstats; EXEC
    is left out: it counts the commands of its transaction again)."""
    stats = await client.info("commandstats")
    usec = sum(
        v["usec"] for k, v in stats.items() if k.startswith("cmdstat_") and k != "cmdstat_exec"
    )
    return float(usec) / 1000 / runs


async def timed_line(
    client: redis.asyncio.Redis, label: str, runs: int, call: Callable[[], Awaitable[object]],
    own_server: bool,
) -> str:  # fmt: skip
    if own_server:
        await client.config_resetstat()
    samples = await timed(runs, call)
    line = f"{label:52} {summary(samples)}"
    if own_server:  # a shared Redis's stats are not ours to reset
        line += f"  redis {await server_ms(client, runs):6.2f} ms/run"
    return line


async def measure(client: redis.asyncio.Redis, keys: Keys, runs: int, own_server: bool) -> None:
    def baseline() -> Awaitable[object]:
        return client.get(keys.person("0PK000000000001"))

    print(await timed_line(client, "baseline: one GET round trip", runs * 4, baseline, own_server))
    for name, filters in QUERIES.items():
        query = SearchQuery.model_validate({**filters, "limit": "50"})

        async def cold(query: SearchQuery = query) -> SearchPage:
            await client.delete(keys.result(query.digest()))
            return await run_search(client, keys, query)

        first = await cold()
        path = "materialised" if await client.exists(keys.result(query.digest())) else "walked"
        line = await timed_line(client, name, runs, cold, own_server)
        line += f"  total {first.total:,} ({path})"
        if first.next_cursor:
            paged = query.model_copy(update={"cursor": first.next_cursor})

            async def page_two(query: SearchQuery = paged) -> object:
                return await run_search(client, keys, query)

            line += "\n" + await timed_line(client, "  page 2 (cursor)", runs, page_two, own_server)
        print(line)


async def main(
    persons: int, runs: int, batch: int, url: str | None, prefix: str, *, reuse: bool, stats: bool
) -> None:
    server = start_embedded_redis() if url is None else None
    where = url if server is None else f"embedded valkey on port {server.port}"
    client = redis.asyncio.Redis.from_url(url or server.url, socket_timeout=120)  # type: ignore[union-attr]
    keys = Keys(prefix)
    try:
        version = (await client.info("server")).get("redis_version")
        if not (reuse and await client.exists(keys.everyone)):
            print(f"loading {persons:,} persons into {where} (version {version}), "
                  f"prefix {prefix!r}")  # fmt: skip
            before = (await client.info("memory"))["used_memory"]
            seconds = await load(client, keys, persons, batch)
            used = (await client.info("memory"))["used_memory"] - before
            print(f"loaded in {seconds:,.1f} s ({persons / seconds:,.0f} persons/s); "
                  f"projection memory {used / 2**20:,.1f} MiB ({used / persons:,.0f} B/person; "
                  f"used_memory after load minus before)")  # fmt: skip
        else:
            print(f"reusing {await client.scard(keys.everyone):,} persons under {prefix!r} "
                  f"in {where} (version {version})")  # fmt: skip
        await measure(client, keys, runs, own_server=server is not None or stats)
    finally:
        if server is None and not reuse:
            await clear_projection(client, keys)
        await client.aclose()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--redis-url", help="a running Redis (default: embedded valkey)")
    parser.add_argument("--prefix", default="bench-search:", help="key prefix (deleted after)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --redis-url: keep the persons (and reuse them if present)",
    )
    parser.add_argument(
        "--stats",
        action="store_true",
        help="with --redis-url of your own: reset and report its commandstats",
    )
    args = parser.parse_args()
    asyncio.run(main(args.persons, args.runs, args.batch, args.redis_url, args.prefix,
                     reuse=args.reuse, stats=args.stats))  # fmt: skip
