"""Keyed hashes of a person's contact points: what `POST /v1/lookup` finds them by."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from handlers.identifiers import keyed_hash, normalise
from schemas.enums import ContactPointKind


class _Point(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: ContactPointKind
    value: str | None = None


class _Person(BaseModel):
    model_config = ConfigDict(extra="ignore")
    jurisdiction: str
    contact_points: tuple[_Point, ...] = ()


class _PersonState(BaseModel):
    model_config = ConfigDict(extra="ignore")
    person: _Person | None = None


class _Contacts(BaseModel):
    """The part of `schemas.aggregate.dump_state` JSON the lookup index needs (the rest of a
    state is skipped, not validated: several times cheaper than `load_state` on a rebuild)."""

    model_config = ConfigDict(extra="ignore")
    person: _PersonState = _PersonState()


def contact_digest(key: bytes, kind: ContactPointKind, value: str, jurisdiction: str) -> str:
    """The keyed hash under which a contact value is looked up (never stored in clear)."""
    return keyed_hash(key, kind, normalise(kind, value, jurisdiction))


def contact_digests(state: bytes, key: bytes) -> set[str]:
    """The digests of every contact point with a value in the state's JSON (none before the
    person is known); pydantic.ValidationError when it is not a state."""
    person = _Contacts.model_validate_json(state).person.person
    if person is None:
        return set()
    return {
        contact_digest(key, point.kind, point.value, person.jurisdiction)
        for point in person.contact_points
        if point.value
    }
