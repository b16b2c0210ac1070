"""`lawful api`: the search API, its web page and the Redis projection it serves from.

The projector (lawful.permissions.v1 and lawful.alerts.v1 -> Redis) runs in the same process
unless `--no-projector`; it rebuilds from the beginning of the topics when its marker key is
missing (Redis flushed) or with `--rebuild-projection`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import Any

from workers.settings import load_settings


def _write_openapi(path: Path) -> int:
    from workers.api.openapi import build_spec  # noqa: PLC0415 - only this option needs it

    path.write_text(json.dumps(build_spec(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


async def _serve(args: argparse.Namespace) -> None:
    from workers.api.server import serve  # noqa: PLC0415 - keeps `lawful --help` fast

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(
        load_settings(), stop, project=not args.no_projector, rebuild=args.rebuild_projection
    )


def _run(args: argparse.Namespace) -> int:
    if args.write_openapi is not None:
        return _write_openapi(args.write_openapi)
    from workers.pipeline.logs import configure_logging  # noqa: PLC0415

    configure_logging(args.log_level)
    asyncio.run(_serve(args))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "api",
        help="serve the search API and web page (and project permissions into Redis)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rebuild-projection",
        action="store_true",
        help="clear the projection and re-consume the topics from the beginning",
    )
    parser.add_argument(
        "--no-projector", action="store_true", help="serve only (another process projects)"
    )
    parser.add_argument("--log-level", default="info", help="log level (default info)")
    parser.add_argument(
        "--write-openapi", type=Path, metavar="PATH", help="write the OpenAPI document and exit"
    )
    parser.set_defaults(func=_run)
