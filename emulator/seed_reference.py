"""Reference data every seeded org needs: legal bases, purposes, an LIA, channel types."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.org import Org

# (name, category, basis, legal basis record, product family, decay months)
PURPOSES = (
    ("Marketing - Pet Insurance", "MARKETING", "CONSENT", "Consent", "PET", 24),
    ("Marketing - Car Insurance", "MARKETING", "CONSENT", "Consent", "CAR", 24),
    ("Postal Marketing", "MARKETING", "LEGITIMATE_INTERESTS", "Legitimate Interest", None, None),
    ("Contract Fulfilment", "NON_MARKETING", "CONTRACT", "Contract", None, None),
    ("Invoicing", "NON_MARKETING", "LEGAL_OBLIGATION", "Legal Obligation", None, None),
    ("Analytics", "NON_MARKETING", "LEGITIMATE_INTERESTS", "Legitimate Interest", None, None),
)
LEGAL_BASES = ("Consent", "Contract", "Legal Obligation", "Legitimate Interest")
CHANNEL_TYPES = (("Email", "Email"), ("Phone", "Phone"), ("Post", "MailingAddress"))


@dataclass
class ReferenceData:
    """Ids of the reference records, by name."""

    purposes: dict[str, str] = field(default_factory=dict)
    marketing: list[str] = field(default_factory=list)
    channel_types: dict[str, str] = field(default_factory=dict)


def ensure_reference_data(org: Org) -> ReferenceData:
    """Create the reference records once (idempotent by name)."""
    data = ReferenceData()
    existing = {r.get("Name"): r["Id"] for r in org.store.live("DataUsePurpose")}
    if existing:
        data.purposes = {str(k): v for k, v in existing.items()}
    else:
        bases = {name: org.create("DataUseLegalBasis", {"Name": name}) for name in LEGAL_BASES}
        lia = org.create(
            "Lawful_LIA__c",
            {"Reference__c": "LIA-2024-001", "Outcome__c": "PASS", "Assessed_On__c": "2024-01-15",
             "Interest__c": "Marketing our own insurance products to existing customers by post"},
        )  # fmt: skip
        for name, category, basis, legal, family, decay in PURPOSES:
            values: dict[str, object] = {
                "Name": name,
                "LegalBasisId": bases[legal],
                "Lawful_Category__c": category,
                "Lawful_Basis__c": basis,
                "CanDataSubjectOptOut": basis in ("CONSENT", "LEGITIMATE_INTERESTS"),
            }
            if family:
                values["Lawful_Product_Family__c"] = family
            if decay:
                values["Lawful_Decay_Months__c"] = decay
            if basis == "LEGITIMATE_INTERESTS":
                values["Lawful_LIA__c"] = lia
            if basis == "LEGAL_OBLIGATION":
                values["Lawful_Legal_Reference__c"] = "HMRC VAT records (6 years)"
                values["Lawful_Retention_Months__c"] = 72
            data.purposes[name] = org.create("DataUsePurpose", values)
    data.marketing = [data.purposes[p[0]] for p in PURPOSES if p[1] == "MARKETING"]
    channels = {r.get("Name"): r["Id"] for r in org.store.live("EngagementChannelType")}
    for name, point_type in CHANNEL_TYPES:
        if name not in channels:
            channels[name] = org.create(
                "EngagementChannelType", {"Name": name, "ContactPointType": point_type}
            )
    data.channel_types = {str(k): v for k, v in channels.items()}
    return data
