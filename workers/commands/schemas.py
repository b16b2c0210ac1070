"""`lawful schemas`: write (or check) the committed JSON Schemas in schemas/json/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from schemas.jsonschema import SCHEMAS, render

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("schemas", help=__doc__, description=__doc__)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="target directory")
    parser.add_argument("--check", action="store_true", help="fail when a file differs")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    args.dir.mkdir(parents=True, exist_ok=True)
    drift = []
    for name in SCHEMAS:
        path = args.dir / name
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drift.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if drift:
        print(f"lawful schemas: drift in {', '.join(drift)}; run `lawful schemas`", file=sys.stderr)
        return 1
    return 0
