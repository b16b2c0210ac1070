"""`lawful tombstones verify`: check the hash chain of the erasure tombstones."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from workers.erasure.tombstones import TombstoneLog, read_jsonl, verify_entries
from workers.redis_client import redis_client
from workers.settings import load_settings


async def _from_redis() -> list[dict[str, Any]]:
    settings = load_settings()
    client = redis_client(settings)
    try:
        return await TombstoneLog(client, settings.redis.key_prefix, None).entries()
    finally:
        await client.aclose()


def _verify(args: argparse.Namespace) -> int:
    entries = read_jsonl(args.file) if args.file else asyncio.run(_from_redis())
    problem = verify_entries(entries)
    if problem is not None:
        position, reason = problem
        request = entries[position].get("request_id", "?")
        print(f"chain broken at entry {position} (request {request}): {reason}", file=sys.stderr)
        return 1
    print(f"{len(entries)} tombstones, chain intact")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("tombstones", help=__doc__, description=__doc__)
    commands = parser.add_subparsers(dest="tombstones_command", required=True, metavar="ACTION")
    verify = commands.add_parser("verify", help="verify the chain; exit 1 at the first break")
    verify.add_argument("--file", type=Path, help="a tombstones.jsonl file instead of Redis")
    verify.set_defaults(func=_verify)
