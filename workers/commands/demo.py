"""`lawful demo`: the whole product on this machine, nothing to install but the package.

Starts the emulated Salesforce org (seeded), the Tansu broker, Redis (embedded unless
`--redis-url`), and lawful's roles (worker, api, bridge, writeback, erasure); backfills the org;
makes a stream of realistic changes and shows live progress with the URL of the web page.
Ctrl-C stops everything. `--examples` prints the engine's decisions for the examples instead.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers.alerts import alerts_due
from handlers.evaluate import evaluate_matrix
from handlers.fold import fold_all
from schemas.errors import LawfulError
from schemas.outputs import CommandRejected, Decision
from schemas.policy import Policy
from schemas.state import PersonState
from workers.demo.run import DemoOptions, run_demo
from workers.facts_io import load_facts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline on an emulated org",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--persons", type=int, default=200, help="persons seeded in the org")
    parser.add_argument("--rate", type=float, default=5.0, help="changes per second (0: none)")
    parser.add_argument("--redis-url", help="use this Redis instead of an embedded one")
    parser.add_argument(
        "--state-dir", type=Path, default=Path("lawful-data/demo"), help="logs and state"
    )
    parser.add_argument("--api-port", type=int, default=8080, help="port of the API / web page")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after N s (0: Ctrl-C)")
    parser.add_argument(
        "--examples",
        type=Path,
        nargs="?",
        const=EXAMPLES,
        default=None,
        help="instead: print the engine's decisions for the facts files in this folder",
    )
    parser.set_defaults(func=run)


def _cell(decision: Decision) -> str:
    mark = "yes" if decision.permitted else "no "
    return f"{mark} {decision.reason} ({decision.row or decision.rule})"


def _show(path: Path) -> None:
    doc = load_facts(path)
    policy = Policy(doc.config, doc.purposes)
    at = doc.at or datetime.now(UTC)
    state, effects = fold_all(
        PersonState(person=doc.person), list(doc.events), now=at, config=policy
    )
    print(f"\n== {path.name}: {doc.person.jurisdiction} person {doc.person.individual_id} at {at}")
    for decision in evaluate_matrix(state, policy, at):
        print(f"  {decision.purpose_id:<24} {decision.channel or '-':<16} {_cell(decision)}")
    for effect in effects:
        if isinstance(effect, CommandRejected):
            print(f"  rejected event {effect.event_id}: {effect.reason} - {effect.detail}")
    if doc.alerts is not None:
        for alert in alerts_due(state, policy, doc.alerts.start, doc.alerts.end):
            where = f"{alert.purpose_id or ''} {alert.channel or ''}".strip()
            print(f"  alert {alert.type} due {alert.due_at.date()} {where}")


def run(args: argparse.Namespace) -> int:
    if args.examples is not None:
        return run_examples(args.examples)
    options = DemoOptions(
        persons=args.persons,
        rate=args.rate,
        redis_url=args.redis_url,
        state_dir=args.state_dir,
        api_port=args.api_port,
        duration=args.duration,
    )
    return asyncio.run(run_demo(options, sys.stdout))


def run_examples(folder: Path) -> int:
    files = sorted(folder.glob("*.json"))
    if not files:
        print(f"lawful demo: no examples in {folder}", file=sys.stderr)
        return 2
    print("lawful demo - decisions per purpose x channel with the rule that decided each cell")
    try:
        for path in files:
            _show(path)
    except LawfulError as exc:
        print(f"lawful demo: {exc}", file=sys.stderr)
        return 2
    print("\nExplain any cell: lawful evaluate examples/<file> --purpose P --channel C --explain")
    return 0
