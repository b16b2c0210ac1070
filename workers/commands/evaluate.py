"""`lawful evaluate FILE`: fold a person's events through the engine and print the decisions."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from handlers.alerts import alerts_due
from handlers.erasure import plan_erasure
from handlers.evaluate import evaluate, evaluate_matrix
from handlers.fold import fold_all
from schemas.enums import Channel
from schemas.errors import InvalidInputError, LawfulError
from schemas.facts import FactsDocument
from schemas.outputs import AuditRecorded, CommandRejected, Decision
from schemas.policy import Policy
from schemas.state import PersonState
from workers.facts_io import load_facts
from workers.settings import load_settings

_DECISION = TypeAdapter(Decision)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"needs a time zone offset (e.g. Z): {text!r}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("evaluate", help=__doc__, description=__doc__)
    parser.add_argument("file", type=Path, help="JSON facts document (schemas/json/facts.json)")
    parser.add_argument("--at", type=_instant, help="evaluation instant (ISO-8601 with offset)")
    parser.add_argument("--purpose", help="only this purpose")
    parser.add_argument("--channel", type=Channel, choices=list(Channel), help="only this channel")
    parser.add_argument("--alerts-from", type=_instant, help="alert window start")
    parser.add_argument("--alerts-to", type=_instant, help="alert window end (exclusive)")
    parser.add_argument("--explain", action="store_true", help="add the per-rule trace")
    parser.set_defaults(func=run)


def _decision_json(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = _DECISION.dump_python(decision, mode="json")
    if data["trace"] is None:
        del data["trace"]
    return data


def _decisions(
    doc: FactsDocument, state: PersonState, policy: Policy, args: argparse.Namespace, at: datetime
) -> list[Decision]:
    if args.purpose or args.channel:
        purposes = [args.purpose] if args.purpose else None
        channels = [args.channel] if args.channel else None
        return evaluate_matrix(state, policy, at, purposes, channels, explain=args.explain)
    if doc.queries:
        return [
            evaluate(state, policy, q.purpose_id, q.channel, q.at or at, explain=args.explain)
            for q in doc.queries
        ]
    return evaluate_matrix(state, policy, at, explain=args.explain)


def evaluate_document(doc: FactsDocument, args: argparse.Namespace) -> dict[str, Any]:
    policy = Policy(doc.config, doc.purposes)
    at = args.at or doc.at or datetime.now(UTC)
    state, effects = fold_all(
        PersonState(person=doc.person), list(doc.events), now=at, config=policy
    )
    if args.purpose:
        policy.purpose(args.purpose)
    output: dict[str, Any] = {"individual_id": doc.person.individual_id, "at": at.isoformat()}
    output["decisions"] = [_decision_json(d) for d in _decisions(doc, state, policy, args, at)]
    start = args.alerts_from or (doc.alerts.start if doc.alerts else None)
    end = args.alerts_to or (doc.alerts.end if doc.alerts else None)
    if (start is None) != (end is None):
        raise InvalidInputError("--alerts-from/--alerts-to", "give both ends of the window")
    if start is not None and end is not None:
        output["alerts"] = [
            a.model_dump(mode="json", exclude_none=True)
            for a in alerts_due(state, policy, start, end)
        ]
    key = load_settings().tombstone_key
    hash_key = key.get_secret_value().encode() if key is not None else None
    output["erasure"] = [
        plan_erasure(state, policy, rid, at, hash_key).model_dump(mode="json")
        for rid in state.erasures
    ]
    output["rejections"] = [
        {"event_id": e.event_id, "reason": e.reason.value, "detail": e.detail}
        for e in effects
        if isinstance(e, CommandRejected)
    ]
    output["audit"] = [
        e.event.model_dump(mode="json", exclude_none=True)
        for e in effects
        if isinstance(e, AuditRecorded)
    ]
    return output


def run(args: argparse.Namespace) -> int:
    try:
        doc = load_facts(args.file)
        output = evaluate_document(doc, args)
    except LawfulError as exc:
        print(f"lawful evaluate: {exc}", file=sys.stderr)
        return 2
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
