"""Engine benchmark: full recomputes and incremental event applications per second, one core.

A realistic person: 8 purposes (category → products, consent and LI, contract, legal obligation),
5 channels, ~30 events. Prints figures beside a trivial baseline measured in the same run.
Run: `uv run --frozen python bench/engine.py [--seconds 3]`.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from handlers.evaluate import evaluate, evaluate_matrix
from handlers.fold import decide, fold_all
from schemas.config import RulesConfig
from schemas.enums import Channel
from schemas.events import BaseEvent, ConsentRecorded, EngagementRecorded, NoticeShown
from schemas.outputs import CellsAffected
from schemas.person import ContactPoint, Contract, Person, Purchase
from schemas.policy import Policy
from schemas.purpose import Purpose
from schemas.state import PersonState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PHONE_LIVE, Channel.PHONE_AUTOMATED, Channel.POST)


def build_policy() -> Policy:
    li = {"lia_reference": "LIA-1", "lia_outcome": "PASS", "lia_date": T0 - timedelta(days=400)}
    purposes = [
        Purpose(id="insurance", category="MARKETING", basis="CONSENT", channels=CHANNELS),
        Purpose(
            id="pet",
            category="MARKETING",
            basis="CONSENT",
            parent_id="insurance",
            product_family="pet",
            channels=CHANNELS,
        ),
        Purpose(
            id="car",
            category="MARKETING",
            basis="CONSENT",
            parent_id="insurance",
            product_family="car",
            channels=CHANNELS,
        ),
        Purpose(
            id="home",
            category="MARKETING",
            basis="CONSENT",
            parent_id="insurance",
            product_family="home",
            channels=CHANNELS,
        ),
        Purpose(
            id="pet-xsell",
            category="MARKETING",
            basis="LEGITIMATE_INTERESTS",
            product_family="pet",
            channels=CHANNELS,
            **li,
        ),
        Purpose(
            id="admin",
            category="NON_MARKETING",
            basis="CONTRACT",
            product_family="pet",
            channels=CHANNELS,
            data_categories=("CONTRACT_DATA",),
        ),
        Purpose(
            id="accounting",
            category="NON_MARKETING",
            basis="LEGAL_OBLIGATION",
            legal_reference="HMRC",
            channels=CHANNELS,
            data_categories=("ACCOUNTING",),
        ),
        Purpose(
            id="analytics",
            category="NON_MARKETING",
            basis="CONSENT",
            cookie_like=True,
            channels=CHANNELS,
        ),
    ]
    return Policy(RulesConfig(), purposes)


def build_person() -> Person:
    return Person(
        individual_id="0PK000000000001AAA",
        jurisdiction="UK",
        birth_date=datetime(1985, 6, 1, tzinfo=UTC).date(),
        contact_points=(
            ContactPoint(
                id="e", kind="EMAIL", opt_out_offered_at_collection=True, obtained_via="SALE"
            ),
            ContactPoint(
                id="p", kind="PHONE", opt_out_offered_at_collection=True, obtained_via="SALE"
            ),
        ),
        contracts=(Contract(id="k", product_family="pet", start=T0 - timedelta(days=300)),),
        purchases=(Purchase(id="s", product_family="pet", at=T0 - timedelta(days=300)),),
    )


def build_events(policy: Policy) -> list[BaseEvent]:
    events: list[BaseEvent] = [
        NoticeShown(event_id=f"n-{pid}", occurred_at=T0, purpose_id=pid, notice_version="v1")
        for pid in policy.purposes
    ]
    statuses = itertools.cycle(["OPT_IN", "OPT_IN", "OPT_OUT"])
    for i, (pid, ch) in enumerate(itertools.product(["pet", "car", "home"], CHANNELS)):
        events.append(
            ConsentRecorded(
                event_id=f"c{i}",
                occurred_at=T0 + timedelta(days=i),
                purpose_id=pid,
                channel=ch,
                status=next(statuses),
                capture_source="web",
                capture_method="CHECKBOX_UNTICKED",
                notice_version="v1",
            )
        )
    events += [
        EngagementRecorded(
            event_id=f"g{i}",
            occurred_at=T0 + timedelta(days=20 + i),
            engagement="CLICK" if i % 2 else "OPEN",
            channel=Channel.EMAIL,
        )
        for i in range(7)
    ]
    return events


def rate(fn: Callable[[int], None], seconds: float) -> float:
    """Calls per CPU-second of fn(i) (process time: one core, robust to other load)."""
    n, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for i in range(n, n + 200):
            fn(i)
        n += 200
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    policy = build_policy()
    events = build_events(policy)
    at = T0 + timedelta(days=60)
    state, _ = fold_all(PersonState(person=build_person()), events, now=at, config=policy)
    cells = [(p, c) for p in policy.purposes for c in CHANNELS]

    def full(_: int) -> None:
        evaluate_matrix(state, policy, at)

    def incremental(i: int) -> None:
        event = EngagementRecorded(
            event_id=f"bench-{i}",
            occurred_at=at,
            engagement="CLICK",
            purpose_id="pet",
            channel=Channel.EMAIL,
        )
        new_state, effects = decide(state, event, now=at, config=policy)
        for effect in effects:
            if isinstance(effect, CellsAffected):
                purposes = effect.purpose_ids or policy.purposes
                chans = effect.channels or CHANNELS
                for pid in purposes:
                    for ch in chans:
                        evaluate(new_state, policy, pid, ch, at)

    table = dict.fromkeys(cells, True)

    def baseline(_: int) -> None:
        for cell in cells:
            _ = table[cell]

    base = rate(baseline, args.seconds)
    full_rate = rate(full, args.seconds)
    inc_rate = rate(incremental, args.seconds)
    print(
        f"person: {len(policy.purposes)} purposes x {len(CHANNELS)} channels, {len(events)} events"
    )
    print(f"baseline (dict lookup of {len(cells)} cells): {base:,.0f} persons/s")
    print(
        f"full recompute: {full_rate:,.0f} persons/s (target >= 5,000); "
        f"{full_rate * len(cells):,.0f} cells/s; baseline/full = {base / full_rate:,.1f}x"
    )
    print(
        f"incremental apply-one-event + affected cells: {inc_rate:,.0f} events/s "
        f"(target >= 20,000); baseline/incremental = {base / inc_rate:,.1f}x"
    )


if __name__ == "__main__":
    main()
