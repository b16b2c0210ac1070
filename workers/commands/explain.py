"""`lawful explain INDIVIDUAL_ID`: why each permission cell of a person is what it is.

Reads `GET /v1/persons/{id}` from `lawful api` (LAWFUL_API__URL, LAWFUL_API__TOKEN): the read is
authenticated and access-logged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from workers.api.client import ApiError, get_json
from workers.settings import load_settings


def describe(cell: dict[str, Any]) -> list[str]:
    verdict = "PERMITTED" if cell["permitted"] else "REFUSED"
    lines = [
        f"{cell['purpose_id']} / {cell['channel'] or '(purpose)'}: {verdict}",
        f"  why: {cell['reason']['text']} ({cell['reason']['code']})",
        f"  rule {cell['rule']}, row {cell['row'] or '-'}, basis {cell['basis'] or '-'}, "
        f"valid until {cell['valid_until'] or '-'}",
    ]
    lines += [f"  also: {r['text']} ({r['code']})" for r in cell["secondary_reasons"]]
    return lines


def _run(args: argparse.Namespace) -> int:
    params = {k: v for k, v in (("purpose", args.purpose), ("channel", args.channel)) if v}
    path = f"/v1/persons/{args.individual_id}"
    try:
        person = asyncio.run(get_json(load_settings().api, path, params))
    except ApiError as error:
        print(f"lawful explain: {error}")
        return 1
    if args.json:
        print(json.dumps(person, indent=2))
        return 0
    print(f"{person['individual_id']} (evaluated {person['evaluated_at']})")
    for cell in person["cells"]:
        print("\n".join(describe(cell)))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain a person's permission cells", description=__doc__
    )
    parser.add_argument("individual_id", help="Individual record id")
    parser.add_argument("--purpose", help="only this purpose")
    parser.add_argument("--channel", help="only this channel")
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")
    parser.set_defaults(func=_run)
