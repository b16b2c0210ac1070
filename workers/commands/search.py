"""`lawful search`: the privacy-details search from the command line, through `lawful api`.

The API's URL and credentials come from settings (LAWFUL_API__URL, LAWFUL_API__TOKEN), so the
search is authenticated and access-logged like the web page's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from workers.api.client import ApiError, get_json
from workers.settings import load_settings

FILTERS = ("purpose", "channel", "permitted", "reason", "basis", "brand", "org", "jurisdiction",
           "expires_from", "expires_to", "limit", "cursor")  # fmt: skip


def _cells(person: dict[str, Any]) -> str:
    return "; ".join(
        f"{c['purpose_id']}/{c['channel'] or '-'} {'yes' if c['permitted'] else 'no'} "
        f"{c['reason']['code']}" + (f" until {c['valid_until']}" if c["valid_until"] else "")
        for c in person["cells"]
    )


def _run(args: argparse.Namespace) -> int:
    params = {name: str(getattr(args, name)) for name in FILTERS if getattr(args, name) is not None}
    try:
        page = asyncio.run(get_json(load_settings().api, "/v1/search", params))
    except ApiError as error:
        print(f"lawful search: {error}")
        return 1
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    print(f"{page['total']} person(s); showing {len(page['items'])} from {page['offset']}")
    for person in page["items"]:
        print(f"{person['individual_id']}\t{person['brand'] or '-'}\t"
              f"{person['jurisdiction'] or '-'}\t{_cells(person)}")  # fmt: skip
    if page["next_cursor"]:
        print(f"next page: --cursor {page['next_cursor']}")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search", help="search persons by purpose, channel, status, expiry...", description=__doc__
    )
    for name in FILTERS:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, help=f"the API's `{name}` filter")
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")
    parser.set_defaults(func=_run)
