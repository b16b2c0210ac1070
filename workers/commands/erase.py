"""`lawful erase`: request, plan (dry run), status, resume and run the erasure executor."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from workers.erasure import cli_actions
from workers.settings import load_settings


def _request(args: argparse.Namespace) -> int:
    rid = asyncio.run(
        cli_actions.request(load_settings(), args.individual_id, args.request_id, args.actor)
    )
    print(rid)
    return 0


def _plan(args: argparse.Namespace) -> int:
    for line in asyncio.run(cli_actions.plan(load_settings(), args.individual_id)):
        print(line)
    return 0


def _status(args: argparse.Namespace) -> int:
    result = asyncio.run(cli_actions.status(load_settings(), args.request_id))
    if result is None:
        print(f"no erasure request {args.request_id}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def _resume(args: argparse.Namespace) -> int:
    state = asyncio.run(cli_actions.resume(load_settings(), args.request_id))
    if state is None:
        print(f"{args.request_id} is not blocked", file=sys.stderr)
        return 1
    print(f"{args.request_id} back to {state}; `lawful erase run` continues it")
    return 0


def _run(args: argparse.Namespace) -> int:
    del args
    asyncio.run(cli_actions.run(load_settings()))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("erase", help=__doc__, description=__doc__)
    commands = parser.add_subparsers(dest="erase_command", required=True, metavar="ACTION")
    request = commands.add_parser("request", help="request the erasure of an Individual")
    request.add_argument("individual_id")
    request.add_argument("--request-id", help="default: a random id")
    request.add_argument("--actor", default="operator", help="who asked (recorded)")
    request.set_defaults(func=_request)
    plan = commands.add_parser("plan", help="dry run: print the plan, change nothing")
    plan.add_argument("individual_id")
    plan.set_defaults(func=_plan)
    status = commands.add_parser("status", help="one request, or the latest requests (JSON)")
    status.add_argument("request_id", nargs="?")
    status.set_defaults(func=_status)
    resume = commands.add_parser("resume", help="retry a blocked request")
    resume.add_argument("request_id")
    resume.set_defaults(func=_resume)
    run = commands.add_parser("run", help="run the executor and the suppression check")
    run.set_defaults(func=_run)
