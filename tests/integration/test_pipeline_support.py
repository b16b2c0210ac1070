"""Shared by the pipeline integration tests (no tests here): the purpose catalogue in the
emulator, person ids, and the from-scratch recompute the worker's output must equal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from handlers.aggregate import step_person
from handlers.purposes import purpose_from_fields
from schemas.aggregate import AggregateState
from schemas.config import RulesConfig
from schemas.messages import PermissionsSnapshot, SalesforceEvent
from schemas.policy import Policy
from tests.fixtures.emulator import EmulatorHandle, sobject
from tests.unit.test_pipeline_support import Replica

pytestmark = pytest.mark.integration

PURPOSE_FIELDS: dict[str, Any] = {
    "Lawful_Category__c": "MARKETING",
    "Lawful_Basis__c": "CONSENT",
    "Lawful_Channels__c": "EMAIL;SMS",
}

Cell = tuple[str, str | None, bool, str, datetime | None]


@dataclass(frozen=True)
class Catalogue:
    """One consent-based marketing purpose, created in the emulator org."""

    purpose_id: str
    fields: dict[str, Any]

    @classmethod
    def create(cls, emulator: EmulatorHandle) -> Catalogue:
        name = f"Pet marketing {uuid.uuid4().hex[:6]}"
        sf = emulator.salesforce()
        try:
            created = sobject(sf, "DataUsePurpose").create({"Name": name, **PURPOSE_FIELDS})
        finally:
            sf.session.close()
        return cls(str(created["id"]), {"Name": name, **PURPOSE_FIELDS})

    def policy(self) -> Policy:
        return Policy(
            RulesConfig(), [purpose_from_fields({"Id": self.purpose_id, **self.fields}, None)]
        )


def individual_id(tag: str) -> str:
    """A fresh 18-character Individual id."""
    return f"0PK{(tag + uuid.uuid4().hex)[:12]}AAA"


def expected_cells(
    events: Iterable[SalesforceEvent], catalogue: Catalogue, now: datetime
) -> dict[str, set[Cell]]:
    """Replay `events` through the pure engine from scratch: the cells per person."""
    replica = Replica()
    policy = catalogue.policy()
    states: dict[str, AggregateState] = {}
    for event in events:
        for message in replica.apply(event).messages:
            state, _ = step_person(
                states.get(message.individual_id), message, now=now, policy=policy
            )
            states[message.individual_id] = state
    return {
        person: {
            (c.purpose_id, c.channel, c.permitted, c.reason, c.valid_until)
            for c in state.cells.values()
        }
        for person, state in states.items()
    }


def snapshot_cells(snapshot: PermissionsSnapshot, purpose_id: str) -> set[Cell]:
    """The cells of `purpose_id` (the emulator org is shared: other tests add purposes too)."""
    return {
        (c.purpose_id, c.channel, c.permitted, c.reason, c.valid_until)
        for c in snapshot.cells
        if c.purpose_id == purpose_id
    }
