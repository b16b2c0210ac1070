"""Planning with the purpose catalogue: consents folded as the pipeline maps them (DE phone
consent proof kept, UWG §7a) and contract-based purposes keeping contract data (UK)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from handlers.erasure_graph import plan_actions, record_category
from handlers.erasure_person import category_decisions, person_state
from handlers.purposes import purpose_from_fields
from schemas.config import RulesConfig
from schemas.erasure_policy import ErasurePolicy
from schemas.outputs import CategoryDecision
from schemas.policy import Policy
from workers.erasure.facts import derived_person
from workers.erasure.policy import load_policy
from workers.erasure.record_events import record_events

pytestmark = pytest.mark.unit
AT = datetime(2026, 11, 29, 12, tzinfo=UTC)
MARKETING = {
    "Id": "0ZW1",
    "Name": "Car marketing",
    "Lawful_Basis__c": "CONSENT",
    "Lawful_Category__c": "MARKETING",
}
CONTRACT = {
    "Id": "0ZW2",
    "Name": "Contract",
    "Lawful_Basis__c": "CONTRACT",
    "Lawful_Category__c": "NON_MARKETING",
    "Lawful_Data_Categories__c": "CONTRACT_DATA",
}


def catalogue(*records: dict[str, Any]) -> Policy:
    return Policy(RulesConfig(), [purpose_from_fields(r, None) for r in records])


def consent(record_id: str, channel: str, kind: str, captured: str) -> dict[str, Any]:
    return {
        "Id": record_id,
        "PartyId": "0PK1",
        "DataUsePurposeId": "0ZW1",
        "ContactPointType": kind,
        "Lawful_Channel__c": channel,
        "PrivacyConsentStatus": "OptIn",
        "CaptureDate": captured,
        "CaptureSource": "https://example.org/form",
        "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
        "Lawful_Notice_Version__c": "v1",
    }


def de_graph() -> dict[str, list[dict[str, Any]]]:
    return {
        "Individual": [{"Id": "0PK1", "Lawful_Jurisdiction__c": "DE"}],
        "ContactPointTypeConsent": [
            consent("0ZY1", "PHONE_LIVE", "Phone", "2025-03-01T10:00:00Z"),
            consent("0ZY2", "EMAIL", "Email", "2025-03-01T10:00:00Z"),
        ],
    }


def decisions_for(
    graph: dict[str, list[dict[str, Any]]], engine: Policy, categories: tuple[str, ...]
) -> dict[str, CategoryDecision]:
    state = person_state(
        "0PK1",
        graph,
        request_id="er-1",
        received_at=AT,
        verified_at=None,
        recipients=(),
        policy=engine,
        now=AT,
        derived=derived_person("0PK1", graph),
        record_events=record_events("0PK1", graph, engine),
    )
    return category_decisions(state, engine, categories, AT)


def test_default_policy_files_phone_consents_as_consent_proof() -> None:
    policy = load_policy()
    rule = policy.objects["ContactPointTypeConsent"]
    assert "PHONE_CONSENT_PROOF" in policy.categories()
    assert record_category(rule, {"Lawful_Channel__c": "PHONE_LIVE"}) == "PHONE_CONSENT_PROOF"
    assert record_category(rule, {"Lawful_Channel__c": "PHONE_AUTOMATED"}) == (
        "PHONE_CONSENT_PROOF"
    )
    assert record_category(rule, {"Lawful_Channel__c": "SMS"}) == "MARKETING_CONSENTS"
    assert record_category(rule, {}) == "MARKETING_CONSENTS"


def test_category_rules_are_validated() -> None:
    root = {"category": "X", "action": "MASK"}
    with pytest.raises(ValidationError):  # a rule needs at least one value
        ErasurePolicy.model_validate(
            {
                "version": "1",
                "objects": {
                    "Individual": {
                        **root,
                        "category_when": [{"field": "F", "values": [], "category": "Y"}],
                    }
                },
            }
        )


def test_de_phone_consent_proof_is_kept_five_years_after_the_grant() -> None:
    engine = catalogue(MARKETING)
    decided = decisions_for(de_graph(), engine, ("PHONE_CONSENT_PROOF", "MARKETING_CONSENTS"))
    proof = decided["PHONE_CONSENT_PROOF"]
    assert proof.decision == "RETAIN"
    assert proof.ground == "Art. 17(3)(b) legal obligation"
    assert proof.legal_ref == "DE UWG §7a"
    assert proof.retain_until is not None
    assert proof.retain_until.date().isoformat() == "2030-03-01"
    assert decided["MARKETING_CONSENTS"].decision == "ERASE"
    policy = load_policy()
    plan = plan_actions(policy, de_graph(), {}, decided, "er-1")
    (kept,) = [r for r in plan.retained if r.sobject == "ContactPointTypeConsent"]
    assert kept.record_id == "0ZY1"
    assert kept.category == "PHONE_CONSENT_PROOF"
    assert kept.retain_until == proof.retain_until
    assert ("ContactPointTypeConsent", "0ZY2") in {(r.sobject, r.record_id) for r in plan.deletes}


def test_without_the_catalogue_the_consent_is_not_folded_and_the_proof_is_lost() -> None:
    engine = Policy(RulesConfig(), ())
    assert record_events("0PK1", de_graph(), engine) == []
    decided = decisions_for(de_graph(), engine, ("PHONE_CONSENT_PROOF",))
    assert decided["PHONE_CONSENT_PROOF"].decision == "ERASE"


def test_a_uk_contract_purpose_keeps_contract_data_only_with_the_catalogue() -> None:
    graph: dict[str, list[dict[str, Any]]] = {
        "Individual": [{"Id": "0PK1", "Lawful_Jurisdiction__c": "UK"}],
        "Contact": [{"Id": "0031", "IndividualId": "0PK1"}],
        "OpportunityContactRole": [{"Id": "00K1", "ContactId": "0031", "OpportunityId": "0061"}],
        "Opportunity": [
            {"Id": "0061", "StageName": "Closed Won", "IsWon": True,
             "Lawful_Product_Family__c": "CAR", "Lawful_Contract_Start__c": "2025-01-01"},
        ],
    }  # fmt: skip
    kept = decisions_for(graph, catalogue(CONTRACT), ("CONTRACT_DATA",))["CONTRACT_DATA"]
    assert kept.decision == "RETAIN"
    assert kept.ground == "Still necessary for contract 0061"
    assert kept.retain_until is None  # the contract has no end
    bare = decisions_for(graph, Policy(RulesConfig(), ()), ("CONTRACT_DATA",))
    assert bare["CONTRACT_DATA"].decision == "ERASE"


def test_records_the_mapping_refuses_are_left_out() -> None:
    graph = de_graph()
    broken = consent("0ZY3", "PHONE_LIVE", "Phone", "2025-03-01T10:00:00Z")
    del broken["Lawful_Channel__c"]  # Phone alone cannot tell SMS from calls: refused
    graph["ContactPointTypeConsent"].append(broken)
    graph["Lawful_Engagement_Event__c"] = [
        {"Id": "a0E1", "Type__c": "CALL_ATTEMPT", "Occurred_At__c": "2026-01-10T10:00:00Z",
         "Purpose__c": "0ZW1"},
        {"Id": "a0E2", "Type__c": "NOT_A_TYPE", "Occurred_At__c": "2026-01-10T10:00:00Z"},
    ]  # fmt: skip
    events = record_events("0PK1", graph, catalogue(MARKETING))
    assert sorted(e.kind for e in events) == [  # type: ignore[attr-defined]
        "CALL_ATTEMPT",
        "CONSENT_RECORDED",
        "CONSENT_RECORDED",
    ]
    # a call is a use of the phone consent: the proof is kept 5 years after it (UWG §7a)
    decided = decisions_for(graph, catalogue(MARKETING), ("PHONE_CONSENT_PROOF",))
    until = decided["PHONE_CONSENT_PROOF"].retain_until
    assert until is not None
    assert until.date().isoformat() == "2031-01-10"
