"""Property: recomputing only the affected cells after each message gives the same cells as
evaluating the whole matrix afresh (the engine's CellsAffected is complete), for random
sequences of every kind of record the mapping reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.aggregate import step_person
from handlers.evaluate import evaluate_matrix
from schemas.aggregate import AggregateState
from schemas.messages import SalesforceEvent
from tests.unit.builders import ADMIN, CAR, CATEGORY, FRAUD, PET, PET_LI, policy
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    individual_fields,
    iso,
)

pytestmark = pytest.mark.unit

NOW = T0 + timedelta(days=30)
PURPOSES = (CATEGORY, PET, CAR, PET_LI, ADMIN, FRAUD)
CHANNELS = ("EMAIL", "SMS", "PHONE_LIVE", "POST")


def _record(
    kind: str, n: int, purpose: str, channel: str, *, flag: bool, at: str
) -> tuple[str, str, dict[str, Any]]:
    """(entity, record id, fields) of one random record."""
    rid = f"a0{kind[:1]}{n:015d}"[:18]
    person = {"Individual__c": PERSON}
    if kind == "consent":
        status = "OptIn" if flag else "OptOut"
        fields = consent_fields(
            purpose, status=status, channel=channel, captured=T0 + timedelta(days=n % 20)
        )
        return "ContactPointTypeConsent", f"0ZY{n:015d}", fields
    table: dict[str, tuple[str, dict[str, Any]]] = {
        "dm": (
            "Lawful_Objection__c",
            {
                "Kind__c": "DIRECT_MARKETING",
                "Purpose__c": purpose if flag else None,
                "Received_At__c": at,
            },
        ),
        "objection": (
            "Lawful_Objection__c",
            {
                "Kind__c": "GENERAL",
                "Purpose__c": purpose,
                "Status__c": "UPHELD" if flag else "PENDING",
                "Received_At__c": at,
            },
        ),
        "restriction": (
            "Lawful_Restriction__c",
            {"Set_At__c": at, "Scope__c": "PURPOSE" if flag else "PERSON", "Purpose__c": purpose},
        ),
        "notice": (
            "Lawful_Notice__c",
            {
                "Purpose__c": purpose,
                "Notice_Version__c": "N1",
                "Kind__c": "ART13_SHOWN",
                "Shown_At__c": at,
            },
        ),
        "click": (
            "Lawful_Engagement_Event__c",
            {
                "Type__c": "CLICK",
                "Occurred_At__c": at,
                "Channel__c": channel,
                "Purpose__c": purpose,
            },
        ),
        "purchase": (
            "Lawful_Engagement_Event__c",
            {"Type__c": "PURCHASE", "Occurred_At__c": at, "Product_Family__c": "pet"},
        ),
        "call": (
            "Lawful_Engagement_Event__c",
            {"Type__c": "CALL_ATTEMPT" if flag else "IN_CALL_REFUSAL", "Occurred_At__c": at},
        ),
        "dnc": ("Lawful_DNC_Listing__c", {"Register__c": "TPS", "Listed_At__c": at}),
        "suppression": (
            "Lawful_Suppression__c",
            {
                "Identifier_Hash__c": "ab" * 8,
                "Scope__c": channel if flag else "DM_ALL",
                "Added_At__c": at,
            },
        ),
        "hold": (
            "Lawful_Legal_Hold__c",
            {"Claim_Ref__c": "C1", "Categories__c": "CONTRACT_DATA", "Set_At__c": at},
        ),
        "lifted": (
            "Lawful_Restriction__c",
            {"Set_At__c": at, "Scope__c": "PERSON", "Lift_Notified_At__c": at, "Lifted_At__c": at},
        ),
        "released": (
            "Lawful_Legal_Hold__c",
            {
                "Claim_Ref__c": "C2",
                "Categories__c": "CONTRACT_DATA",
                "Set_At__c": at,
                "Released_At__c": at,
            },
        ),
        "dnc_removed": (
            "Lawful_DNC_Listing__c",
            {"Register__c": "CTPS", "Listed_At__c": at, "Removed_At__c": at},
        ),
        "erasure": (
            "Lawful_Erasure_Request__c",
            {
                "Request_Id__c": f"R{n}",
                "Received_At__c": at,
                **({"Executed_At__c": at} if flag else {}),
            },
        ),
    }
    entity, fields = table[kind]
    return entity, rid, {**person, **fields}


KINDS = (
    "consent",
    "consent",
    "consent",
    "dm",
    "objection",
    "restriction",
    "notice",
    "click",
    "purchase",
    "call",
    "dnc",
    "suppression",
    "hold",
    "erasure",
    "lifted",
    "released",
    "dnc_removed",
    "contact",
    "jurisdiction",
)

steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(PURPOSES),
        st.sampled_from(CHANNELS),
        st.booleans(),
        st.integers(0, 25),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=80, deadline=None)
@given(plan=steps)
def test_affected_cells_are_all_the_cells_that_change(
    plan: list[tuple[str, str, str, bool, int]],
) -> None:
    pol = policy()
    replica = Replica()
    state: AggregateState | None = None

    def deliver(event: SalesforceEvent) -> None:
        nonlocal state
        for message in replica.apply(event).messages:
            state, _ = step_person(state, message, now=NOW, policy=pol)

    deliver(cdc("Individual", "CREATE", PERSON, individual_fields(), at=T0))
    for n, (kind, purpose, channel, flag, day) in enumerate(plan):
        at = T0 + timedelta(days=day, minutes=n)
        if kind == "contact":
            fields = {"IndividualId": PERSON, "HasOptedOutOfEmail": flag, "DoNotCall": not flag}
            deliver(cdc("Contact", "CREATE", f"003{n:015d}", fields, at=at))
        elif kind == "jurisdiction":
            deliver(
                cdc(
                    "Individual",
                    "UPDATE",
                    PERSON,
                    {"Lawful_Jurisdiction__c": "FR" if flag else "DE"},
                    at=at,
                )
            )
        else:
            entity, rid, fields = _record(kind, n, purpose, channel, flag=flag, at=iso(at))
            deliver(cdc(entity, "CREATE", rid, fields, at=at))
    assert state is not None
    fresh = {f"{d.purpose_id}|{d.channel}": d for d in evaluate_matrix(state.person, pol, NOW)}
    published = state.cells
    assert set(published) == set(fresh)
    for key, decision in fresh.items():
        cell = published[key]
        assert (cell.permitted, cell.reason, cell.rule, cell.valid_until) == (
            decision.permitted,
            decision.reason,
            decision.rule,
            decision.valid_until,
        ), key
