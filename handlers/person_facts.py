"""Record facts of one person -> `schemas.person.Person` (salesforce/README.md, Person table).

Contact-point values are kept only so keyed hashes can be computed later; they never appear in
logs or outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from handlers.fast_models import construct
from handlers.sf_values import day, flag, instant, picklist, text
from schemas.enums import ContactPointKind, ObtainedVia, SubscriberType
from schemas.messages import RecordFact
from schemas.person import ContactPoint, Contract, Person, Purchase, Quote

_POINTS: dict[str, tuple[ContactPointKind, str | None]] = {
    "ContactPointEmail": (ContactPointKind.EMAIL, "EmailAddress"),
    "ContactPointPhone": (ContactPointKind.PHONE, "TelephoneNumber"),
    "ContactPointAddress": (ContactPointKind.ADDRESS, None),
}


def _contact_point(fact: RecordFact) -> ContactPoint:
    kind, value_field = _POINTS[fact.entity]
    fields = fact.fields
    return ContactPoint(
        id=fact.record_id,
        kind=kind,
        value=text(fields, value_field) if value_field else None,
        is_professional=flag(fields, "Lawful_Is_Professional__c"),
        opt_out_offered_at_collection=flag(fields, "Lawful_Opt_Out_Offered__c"),
        obtained_via=picklist(fields, "Lawful_Obtained_Via__c", ObtainedVia) or ObtainedVia.OTHER,
        obtained_in_sale_id=text(fields, "Lawful_Obtained_In_Sale__c"),
    )


def _won(fields: dict[str, Any]) -> bool:
    return flag(fields, "IsWon") or fields.get("StageName") == "Closed Won"


def _closed(fields: dict[str, Any]) -> bool:
    return flag(fields, "IsClosed") or str(fields.get("StageName", "")).startswith("Closed")


def _deals(
    opportunities: list[RecordFact],
) -> tuple[list[Contract], list[Quote]]:
    contracts: list[Contract] = []
    quotes: list[Quote] = []
    for fact in opportunities:
        fields = fact.fields
        family = text(fields, "Lawful_Product_Family__c")
        if family is None:
            continue
        brand = text(fields, "Lawful_Brand__c")
        if _won(fields):
            start = instant(fields, "Lawful_Contract_Start__c") or instant(fields, "CreatedDate")
            if start is not None:
                end = instant(fields, "Lawful_Contract_End__c")
                contracts.append(
                    Contract(
                        id=fact.record_id, product_family=family, brand=brand, start=start, end=end
                    )
                )
        elif not _closed(fields):
            requested = instant(fields, "CreatedDate")
            until = instant(fields, "Lawful_Quote_Valid_Until__c")
            if requested is not None and until is not None:
                quotes.append(
                    Quote(
                        id=fact.record_id,
                        product_family=family,
                        brand=brand,
                        requested_at=requested,
                        valid_until=until,
                    )
                )
    return contracts, quotes


def _purchase(fact: RecordFact) -> Purchase | None:
    fields = fact.fields
    family = text(fields, "Product_Family__c")
    at = instant(fields, "Occurred_At__c")
    if fields.get("Type__c") != "PURCHASE" or family is None or at is None:
        return None
    return Purchase(id=fact.record_id, product_family=family, at=at)


def _linked_opportunities(live: list[RecordFact]) -> list[RecordFact]:
    """Opportunities joined through a contact role or the person account of this person."""
    by_entity: dict[str, list[RecordFact]] = {}
    for fact in live:
        by_entity.setdefault(fact.entity, []).append(fact)
    roles = {f.fields.get("OpportunityId") for f in by_entity.get("OpportunityContactRole", [])}
    accounts = {f.record_id for f in by_entity.get("Account", [])}
    return [
        f
        for f in by_entity.get("Opportunity", [])
        if f.record_id in roles or f.fields.get("AccountId") in accounts
    ]


def derive_person(individual_id: str, facts: Mapping[str, RecordFact]) -> Person | None:
    """The person, or None while the Individual (with a jurisdiction) is not known yet."""
    individual = facts.get(individual_id)
    if individual is None or individual.deleted or individual.entity != "Individual":
        return None
    fields = individual.fields
    jurisdiction = text(fields, "Lawful_Jurisdiction__c")
    if jurisdiction is None:
        return None
    live = sorted((f for f in facts.values() if not f.deleted), key=lambda f: f.record_id)
    contracts, quotes = _deals(_linked_opportunities(live))
    purchases = [p for f in live if f.entity == "Lawful_Engagement_Event__c" if (p := _purchase(f))]
    return _person(
        {
            "individual_id": individual_id,
            "jurisdiction": jurisdiction,
            "timezone": text(fields, "Lawful_Time_Zone__c"),
            "birth_date": day(fields, "BirthDate"),
            "subscriber_type": picklist(fields, "Lawful_Subscriber_Type__c", SubscriberType)
            or SubscriberType.INDIVIDUAL,
            "brand": text(fields, "Lawful_Brand__c"),
            "org_id": None,
            "third_party_source": flag(fields, "Lawful_Third_Party_Source__c"),
            "presumed_consent_ref": text(fields, "Lawful_Presumed_Consent_Ref__c"),
            "contact_points": tuple(_contact_point(f) for f in live if f.entity in _POINTS),
            "contracts": tuple(contracts),
            "quotes": tuple(quotes),
            "purchases": tuple(purchases),
            "recipients": (),
        }
    )


_JURISDICTION = re.compile("[A-Z]{2}")  # Person.jurisdiction's pattern, anchored at both ends


def _person(values: dict[str, Any]) -> Person:
    """`Person(**values)` (every field, in field order, of the type it declares), validated
    only when a value could fail its constraints: then the model raises its own error."""
    if values["individual_id"] and _JURISDICTION.fullmatch(values["jurisdiction"]):
        return construct(Person, values)
    return Person(**values)
