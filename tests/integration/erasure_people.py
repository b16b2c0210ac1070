"""Builds a person with ~50 related records in the emulator (helpers of the erasure tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce.api import Salesforce


@dataclass
class BuiltPerson:
    individual_id: str
    personal_values: list[str]
    ids: dict[str, list[str]] = field(default_factory=dict)
    shared_document: str = ""
    other_contact: str = ""
    deal: str = ""

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.ids.values())


def _post(sf: Salesforce, sobject: str, body: dict[str, Any]) -> str:
    result: Any = sf.restful(f"sobjects/{sobject}", method="POST", json=body)
    return str(result["id"])


def _create(sf: Salesforce, person: BuiltPerson, sobject: str, body: dict[str, Any]) -> str:
    result = sf.restful(f"sobjects/{sobject}", method="POST", json=body)
    assert result is not None
    assert result["success"], result
    record_id = str(result["id"])
    person.ids.setdefault(sobject, []).append(record_id)
    return record_id


def build_person(
    sf: Salesforce,
    *,
    hold_categories: str | None = None,
    jurisdiction: str = "UK",
    contract_in_force: bool = False,
) -> BuiltPerson:
    tag = uuid.uuid4().hex[:10]
    email, email2 = f"ada.{tag}@example.org", f"ada.work.{tag}@example.com"
    phone = f"+4420{int(tag[:6], 16) % 10_000_000:07d}"
    last, first = f"Lovelace{tag}", f"Ada{tag}"
    person = BuiltPerson(individual_id="", personal_values=[email, email2, phone, last, first])
    ind = _create(
        sf,
        person,
        "Individual",
        {
            "FirstName": first,
            "LastName": last,
            "Lawful_Jurisdiction__c": jurisdiction,
            "BirthDate": "1815-12-10",
        },
    )
    person.individual_id = ind
    contacts = [
        _create(
            sf,
            person,
            "Contact",
            {
                "FirstName": first,
                "LastName": last,
                "Email": e,
                "Phone": phone,
                "IndividualId": ind,
                "MailingCity": f"Town{tag}",
            },
        )
        for e in (email, email2)
    ]
    person.personal_values.append(f"Town{tag}")
    lead = _create(
        sf,
        person,
        "Lead",
        {"LastName": last, "Company": f"Co{tag}", "Email": email, "IndividualId": ind},
    )
    person.personal_values.append(f"Co{tag}")
    cpe = _create(sf, person, "ContactPointEmail", {"ParentId": ind, "EmailAddress": email})
    _create(sf, person, "ContactPointPhone", {"ParentId": ind, "TelephoneNumber": phone})
    for n in range(3):
        _create(
            sf,
            person,
            "ContactPointTypeConsent",
            {
                "Name": f"consent {n}",
                "PartyId": ind,
                "CaptureDate": "2024-01-01T00:00:00Z",
                "CaptureSource": "web",
                "PrivacyConsentStatus": "OptIn",
            },
        )
    _create(
        sf,
        person,
        "ContactPointConsent",
        {
            "Name": "cp consent",
            "ContactPointId": cpe,
            "CaptureDate": "2024-01-01T00:00:00Z",
            "CaptureSource": "web",
        },
    )
    cases = [
        _create(
            sf,
            person,
            "Case",
            {"ContactId": contacts[0], "Subject": f"Refund {tag}", "SuppliedEmail": email},
        )
        for _ in range(3)
    ]
    person.personal_values.append(f"Refund {tag}")
    for case in cases:
        _create(
            sf,
            person,
            "EmailMessage",
            {
                "ParentId": case,
                "FromAddress": email,
                "Subject": f"Re: Refund {tag}",
                "TextBody": phone,
            },
        )
    for n in range(12):
        _create(sf, person, "Task", {"WhoId": contacts[n % 2], "Subject": f"Call {first}"})
    for _ in range(3):
        _create(sf, person, "Event", {"WhoId": lead, "Subject": f"Meet {first}"})
    campaign = _post(sf, "Campaign", {"Name": f"C{tag}"})
    _create(sf, person, "CampaignMember", {"CampaignId": campaign, "ContactId": contacts[0]})
    _create(sf, person, "CampaignMember", {"CampaignId": campaign, "LeadId": lead})
    deal = _post(
        sf, "Opportunity", {"Name": f"Deal{tag}", "StageName": "Open", "CloseDate": "2027-01-01"}
    )
    if contract_in_force:  # a won car-insurance contract, started, with no end
        deal_fields = {
            "StageName": "Closed Won",
            "Lawful_Product_Family__c": "CAR",
            "Lawful_Contract_Start__c": "2025-01-01",
        }
        sf.restful(f"sobjects/Opportunity/{deal}", method="PATCH", json=deal_fields)
    person.deal = deal
    _create(
        sf,
        person,
        "OpportunityContactRole",
        {"OpportunityId": deal, "ContactId": contacts[0]},
    )
    other = _post(sf, "Contact", {"LastName": "Other"})
    person.other_contact = other
    for n, shared in enumerate((False, True)):
        doc = _create(sf, person, "ContentDocument", {"Title": f"Passport {tag} {n}"})
        _create(
            sf,
            person,
            "ContentVersion",
            {
                "Title": f"Passport {tag} {n}",
                "PathOnClient": "minutes.pdf" if shared else f"{last}.pdf",
                "ContentDocumentId": doc,
                "VersionData": "minutes" if shared else email,
            },
        )
        _create(
            sf,
            person,
            "ContentDocumentLink",
            {"ContentDocumentId": doc, "LinkedEntityId": contacts[0]},
        )
        if shared:
            _post(sf, "ContentDocumentLink", {"ContentDocumentId": doc, "LinkedEntityId": other})
            person.shared_document = doc
    for n in range(8):
        _create(
            sf,
            person,
            "Lawful_Engagement_Event__c",
            {
                "Individual__c": ind,
                "Type__c": "OPEN",
                "Occurred_At__c": f"2024-02-0{n + 1}T10:00:00Z",
            },
        )
    for _ in range(3):
        _create(
            sf,
            person,
            "Lawful_Notice__c",
            {
                "Individual__c": ind,
                "Notice_Version__c": "v1",
                "Kind__c": "ART13_SHOWN",
                "Shown_At__c": "2024-01-01T00:00:00Z",
            },
        )
    if hold_categories:
        _create(
            sf,
            person,
            "Lawful_Legal_Hold__c",
            {
                "Individual__c": ind,
                "Claim_Ref__c": "CLAIM-42",
                "Categories__c": hold_categories,
                "Set_At__c": "2024-01-01T00:00:00Z",
            },
        )
    return person
