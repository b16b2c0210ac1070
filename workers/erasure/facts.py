"""The person as the engine sees them while planning an erasure: contracts (won Opportunities
joined through a contact role or the person account) and purchases, derived from the same
records and with the same code (`handlers.person_facts.derive_person`) as the pipeline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.mapping import CONSENT_FIELDS
from handlers.person_facts import derive_person
from schemas.messages import RecordFact
from schemas.person import Person

DEALS = "Opportunity"
# Fields derive_person reads, queried beside each object's policy fields (when the org has them).
FACT_FIELDS: Mapping[str, frozenset[str]] = {
    "Individual": frozenset(
        {"Lawful_Jurisdiction__c", "Lawful_Time_Zone__c", "Lawful_Subscriber_Type__c",
         "Lawful_Brand__c", "Lawful_Third_Party_Source__c", "Lawful_Presumed_Consent_Ref__c"}
    ),
    "OpportunityContactRole": frozenset({"OpportunityId"}),
    "Lawful_Engagement_Event__c": frozenset(
        {"Type__c", "Product_Family__c", "Occurred_At__c", "Purpose__c", "Channel__c",
         "LastModifiedDate"}
    ),
    # what the pipeline's mapping reads from a consent (handlers.mapping.consent_recorded)
    "ContactPointTypeConsent": frozenset(
        {*CONSENT_FIELDS, "Lawful_Reconfirmed_At__c", "LastModifiedDate"}
    ),
}  # fmt: skip
DEAL_FIELDS = frozenset(
    {"Id", "AccountId", "IsWon", "IsClosed", "StageName", "CreatedDate",
     "Lawful_Product_Family__c", "Lawful_Brand__c", "Lawful_Contract_Start__c",
     "Lawful_Contract_End__c", "Lawful_Quote_Valid_Until__c"}
)  # fmt: skip
FACT_OBJECTS = (
    "Individual",
    "Account",
    "OpportunityContactRole",
    "Lawful_Engagement_Event__c",
    DEALS,
)


def deal_filters(graph: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, set[str]]:
    """Opportunity field -> ids it must be in: the person's contact roles and person accounts."""
    roles = {
        str(r["OpportunityId"])
        for r in graph.get("OpportunityContactRole", ())
        if r.get("OpportunityId")
    }
    accounts = {str(r["Id"]) for r in graph.get("Account", ())}
    return {name: ids for name, ids in (("Id", roles), ("AccountId", accounts)) if ids}


def derived_person(
    individual_id: str, graph: Mapping[str, Iterable[Mapping[str, Any]]]
) -> Person | None:
    """derive_person over the graph's records (None when the Individual has no jurisdiction)."""
    facts: dict[str, RecordFact] = {}
    for entity in FACT_OBJECTS:
        for record in graph.get(entity, ()):
            fields = {k: v for k, v in record.items() if k != "Id"}
            facts[str(record["Id"])] = RecordFact(
                entity=entity, record_id=str(record["Id"]), fields=fields
            )
    return derive_person(individual_id, facts)
