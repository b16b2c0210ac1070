"""The engine's view of a person being erased, built from the resolved graph (pure).

The executor folds the facts it can read from Salesforce (the Individual, legal holds, the
request) with the engine's `decide`, then asks `decide_category` / `deadlines` per category:
the legal decisions stay the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from handlers.erasure import deadlines, decide_category
from handlers.erasure_graph import RecordGraph
from handlers.fold import fold_all
from handlers.identifiers import keyed_hash, normalise, normalise_phone
from schemas.enums import ContactPointKind
from schemas.events import (
    BaseEvent,
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureRequested,
    LegalHoldReleased,
    LegalHoldSet,
    PersonUpdated,
)
from schemas.outputs import CategoryDecision
from schemas.person import Person
from schemas.policy import Policy
from schemas.state import PersonState

DEFAULT_JURISDICTION = "UK"
JURISDICTIONS = ("UK", "FR", "DE", "IE", "ES", "IT")

# (sobject, field, kind) of every identifier whose keyed hash goes to the suppression list.
IDENTIFIER_FIELDS: tuple[tuple[str, str, ContactPointKind], ...] = (
    ("Contact", "Email", ContactPointKind.EMAIL),
    ("Contact", "Phone", ContactPointKind.PHONE),
    ("Contact", "MobilePhone", ContactPointKind.PHONE),
    ("Lead", "Email", ContactPointKind.EMAIL),
    ("Lead", "Phone", ContactPointKind.PHONE),
    ("Lead", "MobilePhone", ContactPointKind.PHONE),
    ("Account", "PersonEmail", ContactPointKind.EMAIL),
    ("Account", "PersonMobilePhone", ContactPointKind.PHONE),
    ("ContactPointEmail", "EmailAddress", ContactPointKind.EMAIL),
    ("ContactPointPhone", "TelephoneNumber", ContactPointKind.PHONE),
)


def parse_instant(value: Any) -> datetime | None:
    """Salesforce DateTime (`...Z` or `...+0000`) or Date as an aware datetime."""
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def jurisdiction_of(individual: Mapping[str, Any]) -> str:
    value = str(individual.get("Lawful_Jurisdiction__c") or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else DEFAULT_JURISDICTION


def _hold_events(holds: Iterable[Mapping[str, Any]], fallback: datetime) -> list[BaseEvent]:
    events: list[BaseEvent] = []
    for hold in holds:
        hold_id = str(hold["Id"])
        categories = str(hold.get("Categories__c") or "").replace(",", ";").split(";")
        set_at = parse_instant(hold.get("Set_At__c")) or fallback
        events.append(
            LegalHoldSet(
                event_id=f"erasure-hold:{hold_id}",
                occurred_at=set_at,
                hold_id=hold_id,
                claim_ref=str(hold.get("Claim_Ref__c") or "unspecified"),
                categories=tuple(c.strip() for c in categories if c.strip()),
                until=parse_instant(hold.get("Until__c")),
            )
        )
        released = parse_instant(hold.get("Released_At__c"))
        if released is not None:
            events.append(
                LegalHoldReleased(
                    event_id=f"erasure-hold-released:{hold_id}",
                    occurred_at=max(released, set_at),
                    hold_id=hold_id,
                )
            )
    return events


def person_state(
    individual_id: str,
    graph: RecordGraph,
    *,
    request_id: str,
    received_at: datetime,
    verified_at: datetime | None,
    recipients: Iterable[str],
    extension_notified_at: datetime | None = None,
    policy: Policy,
    now: datetime,
    derived: Person | None = None,
    record_events: Iterable[BaseEvent] = (),
) -> PersonState:
    """The folded engine state: person, legal holds and this erasure request. `derived` is the
    person as `person_facts.derive_person` reads their records (contracts, purchases);
    `record_events` are the events the pipeline's mapping reads from them (consents, calls)."""
    individuals = list(graph.get("Individual", ()))
    individual = individuals[0] if individuals else {}
    person = Person.model_validate(
        {
            **(derived.model_dump() if derived is not None else {}),
            "individual_id": individual_id,
            "jurisdiction": jurisdiction_of(individual),
            "recipients": [{"id": r} for r in recipients],
        }
    )
    start = min(received_at, now)
    events: list[BaseEvent] = [
        PersonUpdated(event_id=f"erasure-person:{request_id}", occurred_at=start, person=person),
        ErasureRequested(
            event_id=f"erasure-request:{request_id}", occurred_at=start, request_id=request_id
        ),
        *_hold_events(graph.get("Lawful_Legal_Hold__c", ()), start),
        *record_events,
    ]
    if verified_at is not None:
        events.append(
            ErasureIdentityReceived(
                event_id=f"erasure-identity:{request_id}",
                occurred_at=max(verified_at, start),
                request_id=request_id,
            )
        )
    if extension_notified_at is not None:
        events.append(
            ErasureExtensionNotice(
                event_id=f"erasure-extension:{request_id}",
                occurred_at=max(extension_notified_at, start),
                request_id=request_id,
                reason="notified",
            )
        )
    state, _ = fold_all(PersonState(), events, now=now, config=policy)
    return state


def category_decisions(
    state: PersonState, policy: Policy, categories: Iterable[str], at: datetime
) -> dict[str, CategoryDecision]:
    if state.person is None:
        raise ValueError("person_state did not set the person")
    return {c: decide_category(state, policy, state.person, c, at) for c in categories}


def due_date(state: PersonState, policy: Policy, request_id: str) -> date | None:
    case = state.erasures.get(request_id)
    if case is None or state.person is None:
        return None
    return deadlines(case, policy, state.person)[1]


def identifier_hashes(graph: RecordGraph, jurisdiction: str, key: bytes) -> tuple[str, ...]:
    """Keyed hashes of the normalised emails and phones found in the graph, sorted."""
    hashes: set[str] = set()
    for sobject, field, kind in IDENTIFIER_FIELDS:
        for record in graph.get(sobject, ()):
            value = record.get(field)
            if value:
                hashes.add(keyed_hash(key, kind, normalise(kind, str(value), jurisdiction)))
    return tuple(sorted(hashes))


def candidate_hashes(kind: ContactPointKind, value: str, key: bytes) -> set[str]:
    """Hashes a new identifier may match: national phone numbers under every known country."""
    if kind is not ContactPointKind.PHONE:
        return {keyed_hash(key, kind, normalise(kind, value, DEFAULT_JURISDICTION))}
    return {keyed_hash(key, kind, normalise_phone(value, j)) for j in JURISDICTIONS}
