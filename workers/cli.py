"""`lawful` command line: one sub-command per module in `workers.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Each module exposes `register(subparsers)`, which adds its parser and sets `func`
# (a callable taking the parsed namespace and returning an exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "workers.commands.evaluate",
    "workers.commands.demo",
    "workers.commands.schemas",
    "workers.commands.emulator",
    "workers.commands.api",
    "workers.commands.search",
    "workers.commands.explain",
    "workers.commands.worker",
    "workers.commands.bridge",
    "workers.commands.backfill",
    "workers.commands.erase",
    "workers.commands.tombstones",
    "workers.commands.writeback",
    "workers.commands.check",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lawful", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        exit_code: int = args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
