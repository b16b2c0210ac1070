"""`lawful demo`: the decision engine on the bundled example people, as readable tables.

This version demonstrates the engine that every other part of lawful calls. The streaming
pipeline (emulated org → Kafka → permissions, alerts, search) joins this command when it lands.
"""

from __future__ import annotations

import argparse
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
from workers.facts_io import load_facts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help=__doc__.splitlines()[0], description=__doc__)
    parser.add_argument("--examples", type=Path, default=EXAMPLES, help="folder of facts files")
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
    files = sorted(args.examples.glob("*.json"))
    if not files:
        print(f"lawful demo: no examples in {args.examples}", file=sys.stderr)
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
