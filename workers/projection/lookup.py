"""Keyed hashes of a person's contact points: what `POST /v1/lookup` finds them by."""

from __future__ import annotations

from handlers.identifiers import keyed_hash, normalise
from schemas.aggregate import AggregateState
from schemas.enums import ContactPointKind


def contact_digest(key: bytes, kind: ContactPointKind, value: str, jurisdiction: str) -> str:
    """The keyed hash under which a contact value is looked up (never stored in clear)."""
    return keyed_hash(key, kind, normalise(kind, value, jurisdiction))


def contact_digests(state: AggregateState, key: bytes) -> set[str]:
    """The digests of every contact point with a value (none before the person is known)."""
    person = state.person.person
    if person is None:
        return set()
    return {
        contact_digest(key, point.kind, point.value, person.jurisdiction)
        for point in person.contact_points
        if point.value
    }
