"""`lawful emulator`: run the local Salesforce org (HTTPS, REST, CometD) for demos and tests."""

from __future__ import annotations

import argparse
from typing import Any

from emulator.cli import add_arguments, run


def _run(args: argparse.Namespace) -> int:
    return run(args)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="run the local Salesforce org emulator",
        description="Serve a local Salesforce org over HTTPS; prints its URL, CA and credentials.",
    )
    add_arguments(parser)
    parser.set_defaults(func=_run)
