"""Pure erasure planning: masks keep validation passing, actions follow decisions and order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from handlers.erasure_graph import depths, exclusive_documents, plan_actions, rounds
from handlers.erasure_masks import FieldMeta, field_meta, mask_values, placeholder
from handlers.erasure_person import category_decisions, due_date, person_state
from schemas.config import RulesConfig
from schemas.erasure_policy import Action, ErasurePolicy
from schemas.outputs import CategoryDecision
from schemas.policy import Policy
from workers.erasure.facts import deal_filters, derived_person
from workers.erasure.policy import load_policy

pytestmark = pytest.mark.unit


def meta(
    name: str, kind: str, length: int = 80, nillable: bool = True, **extra: object
) -> FieldMeta:
    return FieldMeta(name=name, type=kind, length=length, nillable=nillable, **extra)


def test_email_mask_is_a_valid_address_within_the_length() -> None:
    value = placeholder(meta("Email", "email", 80), Action.MASK, "ada@example.org", "abcdef0123")
    assert value == "erased+abcdef0123@invalid.example"
    short = placeholder(meta("Email", "email", 20), Action.MASK, "ada@example.org", "abcdef0123")
    assert isinstance(short, str)
    assert len(short) <= 20
    assert "@" in short


def test_required_text_is_masked_not_blanked_and_fits() -> None:
    required = meta("LastName", "string", 8, nillable=False)
    assert placeholder(required, Action.DELETE, "Lovelace", "abcdef0123") == "Erased a"
    assert placeholder(meta("FirstName", "string"), Action.DELETE, "Ada", "t") is None


def test_picklist_keeps_a_valid_value() -> None:
    status = meta(
        "Status", "picklist", nillable=False, picklist_values=("New", "Closed"), default_value="New"
    )
    assert placeholder(status, Action.MASK, "Closed", "t") == "Closed"
    assert placeholder(status, Action.MASK, "Bogus", "t") == "New"


def test_phone_mask_looks_like_a_phone() -> None:
    value = placeholder(meta("Phone", "phone", 40), Action.MASK, "+44 20 7946 0000", "t")
    assert isinstance(value, str)
    assert value.startswith("+")
    assert value.lstrip("+").isdigit()


def test_mask_values_skip_empty_readonly_and_unknown_fields() -> None:
    metas = {"Email": meta("Email", "email"), "Name": meta("Name", "string", updateable=False)}
    record = {"Email": "a@b.c", "Name": "Ada", "Phone": "+1"}
    fields = {"Email": Action.MASK, "Name": Action.MASK, "Phone": Action.MASK}
    assert mask_values(fields, record, metas, "tok") == {"Email": "erased+tok@invalid.example"}
    assert mask_values(fields, {"Email": None}, metas, "tok") == {}


def test_field_meta_reads_describe_entries() -> None:
    entry = {
        "name": "Status",
        "type": "picklist",
        "length": 40,
        "nillable": False,
        "updateable": True,
        "picklistValues": [
            {"value": "New", "active": True, "defaultValue": True},
            {"value": "Old", "active": False, "defaultValue": False},
        ],
    }
    parsed = field_meta(entry)
    assert parsed.picklist_values == ("New",)
    assert parsed.default_value == "New"


def test_default_policy_is_valid_and_acyclic() -> None:
    policy = load_policy()
    order = depths(policy)
    assert order["Individual"] == 0
    assert order["EmailMessage"] > order["Case"] > order["Contact"]
    assert rounds(policy)[0][0] == "Account"  # the root is read with its direct children
    assert "Individual" in rounds(policy)[0]


def test_policy_rejects_unknown_link_targets_and_retained_fields() -> None:
    base = {"category": "X", "action": "DELETE", "links": [{"field": "A", "to": ["Nope"]}]}
    with pytest.raises(ValidationError):
        ErasurePolicy.model_validate(
            {
                "version": "1",
                "objects": {"Individual": {"category": "X", "action": "MASK"}, "Thing": base},
            }
        )
    with pytest.raises(ValidationError):
        ErasurePolicy.model_validate(
            {
                "version": "1",
                "objects": {
                    "Individual": {"category": "X", "action": "RETAIN", "fields": {"A": "MASK"}}
                },
            }
        )


def test_exclusive_documents_drop_shared_files() -> None:
    links = [
        {"ContentDocumentId": "069A", "LinkedEntityId": "003mine"},
        {"ContentDocumentId": "069B", "LinkedEntityId": "003mine"},
        {"ContentDocumentId": "069B", "LinkedEntityId": "003other"},
    ]
    assert exclusive_documents(links, {"003mine"}) == {"069A"}


def test_plan_follows_engine_decisions_and_deletes_children_first() -> None:
    policy = load_policy()
    graph = {
        "Individual": [{"Id": "0PK1", "LastName": "Lovelace"}],
        "Contact": [{"Id": "0031", "LastName": "Lovelace", "Email": "ada@example.org"}],
        "Case": [{"Id": "5001", "Subject": "Refund"}],
        "EmailMessage": [{"Id": "02s1", "Subject": "Re: Refund"}],
        "Lawful_Erasure_Request__c": [{"Id": "a001"}],
    }
    metas = {
        "Individual": {"LastName": meta("LastName", "string", 80, nillable=False)},
        "Contact": {
            "LastName": meta("LastName", "string", 80, nillable=False),
            "Email": meta("Email", "email"),
        },
        "Case": {"Subject": meta("Subject", "string", 255)},
        "EmailMessage": {"Subject": meta("Subject", "string", 3000)},
    }
    until = datetime(2030, 1, 1, tzinfo=UTC)
    decisions = {
        "CUSTOMER_SERVICE": CategoryDecision(
            category="CUSTOMER_SERVICE",
            decision="RETAIN",
            ground="Art. 17(3)(e) legal claims",
            legal_ref="CLAIM-1",
            retain_until=until,
        ),
    }
    plan = plan_actions(policy, graph, metas, decisions, "er-1")
    assert [r.record_id for r in plan.deletes] == ["02s1", "0031"]
    assert [r.record_id for r in plan.masked_only] == ["0PK1"]
    kept = {r.record_id: r for r in plan.retained}
    assert kept["5001"].retain_until == until
    assert kept["5001"].legal_ref == "CLAIM-1"
    assert "a001" in kept
    text = plan.model_dump_json()
    assert "ada@example.org" not in text
    assert "Lovelace" not in text


def test_engine_decides_holds_and_due_dates_for_the_graph() -> None:
    engine = Policy(RulesConfig(), ())
    received = datetime(2026, 1, 5, 9, tzinfo=UTC)
    graph = {
        "Individual": [{"Id": "0PK1", "Lawful_Jurisdiction__c": "UK"}],
        "Lawful_Legal_Hold__c": [
            {
                "Id": "a0H1",
                "Claim_Ref__c": "CLAIM-9",
                "Categories__c": "CUSTOMER_SERVICE;X",
                "Set_At__c": "2025-12-01T00:00:00.000+0000",
            }
        ],
    }
    common = {
        "request_id": "er-1",
        "received_at": received,
        "verified_at": None,
        "recipients": ("r1",),
        "policy": engine,
        "now": received,
    }
    state = person_state("0PK1", graph, **common)  # type: ignore[arg-type]
    decisions = category_decisions(state, engine, ("CUSTOMER_SERVICE", "CONTACT_DATA"), received)
    assert decisions["CUSTOMER_SERVICE"].decision == "RETAIN"
    assert decisions["CUSTOMER_SERVICE"].legal_ref == "CLAIM-9"
    assert decisions["CONTACT_DATA"].decision == "ERASE"
    assert due_date(state, engine, "er-1") == date(2026, 2, 5)
    extended = person_state(
        "0PK1",
        graph,
        extension_notified_at=datetime(2026, 1, 20, tzinfo=UTC),
        **common,  # type: ignore[arg-type]
    )
    # 5 April 2026 is Easter Sunday and 6 April Easter Monday: the next working day is the 7th
    assert due_date(extended, engine, "er-1") == date(2026, 4, 7)


def test_planning_sees_contracts_from_the_graph() -> None:
    graph: dict[str, list[dict[str, Any]]] = {
        "Individual": [{"Id": "0PK1", "Lawful_Jurisdiction__c": "FR"}],
        "Contact": [{"Id": "0031", "IndividualId": "0PK1"}],
        "OpportunityContactRole": [{"Id": "00K1", "ContactId": "0031", "OpportunityId": "0061"}],
        "Opportunity": [
            {"Id": "0061", "StageName": "Closed Won", "IsWon": True,
             "Lawful_Product_Family__c": "CAR", "Lawful_Contract_Start__c": "2025-01-01"},
            {"Id": "0062", "StageName": "Closed Won", "IsWon": True,  # not this person's
             "Lawful_Product_Family__c": "HOME", "Lawful_Contract_Start__c": "2025-01-01"},
        ],
    }  # fmt: skip
    assert deal_filters(graph) == {"Id": {"0061"}}
    derived = derived_person("0PK1", graph)
    assert derived is not None
    assert [c.id for c in derived.contracts] == ["0061"]
    at = datetime(2026, 11, 29, tzinfo=UTC)
    policy = Policy(RulesConfig(), ())
    state = person_state("0PK1", graph, request_id="r", received_at=at, verified_at=None,
                         recipients=(), policy=policy, now=at, derived=derived)  # fmt: skip
    decided = category_decisions(state, policy, ["CONTRACT_DATA"], at)["CONTRACT_DATA"]
    assert decided.decision == "RETAIN"
    bare = person_state("0PK1", graph, request_id="r", received_at=at, verified_at=None,
                        recipients=(), policy=policy, now=at)  # fmt: skip
    assert category_decisions(bare, policy, ["CONTRACT_DATA"], at)["CONTRACT_DATA"].decision == (
        "ERASE"
    )
