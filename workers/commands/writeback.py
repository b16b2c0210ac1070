"""`lawful writeback`: write each person's computed status to its Individual record."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from workers.pipeline.logs import configure_logging
from workers.settings import load_settings
from workers.writeback.app import run_writeback


def _run(args: argparse.Namespace) -> int:
    del args
    configure_logging()
    asyncio.run(run_writeback(load_settings()))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "writeback",
        help="write computed statuses back to Salesforce",
        description=(
            "Consume lawful.permissions.v1 and write Lawful_Basis_Status__c, "
            "Lawful_Valid_Until__c and Lawful_Last_Evaluated__c to each Individual through "
            "sObject Collections, coalescing repeated snapshots (LAWFUL_WRITEBACK__*). Writes "
            "are marked client=lawful-writeback; the pipeline ignores their CDC events."
        ),
    )
    parser.set_defaults(func=_run)
