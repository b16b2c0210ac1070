"""Record facts -> Person, and DataUsePurpose (+ LIA) -> Purpose."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from handlers.person_facts import derive_person
from handlers.purposes import purpose_from_fields
from schemas.enums import (
    Basis,
    Category,
    Channel,
    ContactPointKind,
    LiaOutcome,
    ObtainedVia,
    RetentionTrigger,
)
from schemas.errors import InvalidInputError
from schemas.messages import RecordFact
from tests.unit.test_pipeline_support import PERSON, T0, Replica, cdc, days, individual_fields, iso

pytestmark = pytest.mark.unit

CONTACT = "003000000000001AAA"


def _facts(replica: Replica, *events: Any) -> dict[str, RecordFact]:
    facts: dict[str, RecordFact] = {}
    for event in events:
        for message in replica.apply(event).messages:
            if message.record is not None and message.individual_id == PERSON:
                facts[message.record.record_id] = message.record
    return facts


def test_person_from_individual_contact_points_deals_and_purchases() -> None:
    replica = Replica()
    won, open_, lost = "006000000000001AAA", "006000000000002AAA", "006000000000003AAA"
    deals = [
        (
            won,
            {
                "StageName": "Closed Won",
                "IsWon": True,
                "IsClosed": True,
                "Lawful_Contract_Start__c": "2025-01-01",
                "Lawful_Contract_End__c": "2027-01-01",
            },
        ),
        (
            open_,
            {
                "StageName": "Prospecting",
                "IsWon": False,
                "IsClosed": False,
                "CreatedDate": iso(T0),
                "Lawful_Quote_Valid_Until__c": "2026-03-01",
            },
        ),
        (lost, {"StageName": "Closed Lost", "IsWon": False, "IsClosed": True}),
    ]
    events = [
        cdc(
            "Individual",
            "CREATE",
            PERSON,
            individual_fields(
                "DE",
                Lawful_Subscriber_Type__c="CORPORATE",
                Lawful_Brand__c="acme",
                Lawful_Time_Zone__c="Europe/Berlin",
                Lawful_Third_Party_Source__c=True,
                Lawful_Presumed_Consent_Ref__c="B2B-1",
            ),
        ),
        cdc(
            "ContactPointEmail",
            "CREATE",
            "9CE000000000001AAA",
            {
                "ParentId": PERSON,
                "EmailAddress": "a@b.org",
                "Lawful_Obtained_Via__c": "SALE",
                "Lawful_Obtained_In_Sale__c": "S-1",
                "Lawful_Opt_Out_Offered__c": True,
                "Lawful_Is_Professional__c": True,
            },
        ),
        cdc(
            "ContactPointPhone",
            "CREATE",
            "0OW000000000001AAA",
            {"ParentId": PERSON, "TelephoneNumber": "+49301234"},
        ),
        cdc("Contact", "CREATE", CONTACT, {"IndividualId": PERSON}),
    ]
    for n, (opp, fields) in enumerate(deals):
        events.append(
            cdc(
                "OpportunityContactRole",
                "CREATE",
                f"00K00000000000{n}AAA",
                {"OpportunityId": opp, "ContactId": CONTACT},
            )
        )
        events.append(
            cdc(
                "Opportunity",
                "CREATE",
                opp,
                {"Lawful_Product_Family__c": "pet", "Lawful_Brand__c": "acme", **fields},
            )
        )
    events.append(
        cdc(
            "Lawful_Engagement_Event__c",
            "CREATE",
            "a01000000000001AAA",
            {
                "Individual__c": PERSON,
                "Type__c": "PURCHASE",
                "Product_Family__c": "car",
                "Occurred_At__c": iso(T0),
            },
        )
    )
    person = derive_person(PERSON, _facts(replica, *events))
    assert person is not None
    assert person.jurisdiction == "DE"
    assert person.birth_date == date(1980, 5, 17)
    assert person.subscriber_type.value == "CORPORATE"
    assert (
        person.brand,
        person.timezone,
        person.third_party_source,
        person.presumed_consent_ref,
    ) == (
        "acme",
        "Europe/Berlin",
        True,
        "B2B-1",
    )
    email, phone = sorted(person.contact_points, key=lambda c: c.kind)
    assert (email.kind, email.value, email.obtained_via, email.obtained_in_sale_id) == (
        ContactPointKind.EMAIL,
        "a@b.org",
        ObtainedVia.SALE,
        "S-1",
    )
    assert email.opt_out_offered_at_collection
    assert email.is_professional
    assert (phone.kind, phone.value, phone.obtained_via) == (
        ContactPointKind.PHONE,
        "+49301234",
        ObtainedVia.OTHER,
    )
    (contract,) = person.contracts
    assert (contract.id, contract.product_family, contract.end) == (won, "pet", T0 + days(365))
    (quote,) = person.quotes
    assert (quote.id, quote.requested_at) == (open_, T0)
    (purchase,) = person.purchases
    assert (purchase.product_family, purchase.at) == ("car", T0)


def test_no_person_without_an_individual_or_jurisdiction() -> None:
    replica = Replica()
    facts = _facts(
        replica,
        cdc(
            "ContactPointEmail",
            "CREATE",
            "9CE000000000001AAA",
            {"ParentId": PERSON, "EmailAddress": "a@b.org"},
        ),
    )
    assert derive_person(PERSON, facts) is None
    facts |= _facts(replica, cdc("Individual", "CREATE", PERSON, {"BirthDate": "1980-01-01"}))
    assert derive_person(PERSON, facts) is None


def test_a_deleted_contact_point_is_gone() -> None:
    replica = Replica()
    point = "9CE000000000001AAA"
    facts = _facts(
        replica,
        cdc("Individual", "CREATE", PERSON, individual_fields()),
        cdc("ContactPointEmail", "CREATE", point, {"ParentId": PERSON, "EmailAddress": "a@b.org"}),
    )
    facts |= _facts(replica, cdc("ContactPointEmail", "DELETE", point, at=T0 + days(1)))
    person = derive_person(PERSON, facts)
    assert person is not None
    assert person.contact_points == ()


def _purpose(**fields: Any) -> dict[str, Any]:
    return {
        "Id": "0ZW000000000001AAA",
        "Name": "Pet marketing",
        "Lawful_Category__c": "MARKETING",
        "Lawful_Basis__c": "CONSENT",
        **fields,
    }


def test_purpose_from_fields_with_lia() -> None:
    purpose = purpose_from_fields(
        _purpose(
            Lawful_Basis__c="LEGITIMATE_INTERESTS",
            Lawful_Product_Family__c="pet",
            Lawful_Brand__c="acme",
            Lawful_Parent_Purpose__c="0ZW000000000000AAA",
            Lawful_Special_Category__c=True,
            Lawful_Art9_Condition__c="9(2)(a)",
            Lawful_Art10__c=False,
            Lawful_Legal_Reference__c="ref",
            Lawful_Retention_Months__c=60.0,
            Lawful_Retention_Trigger__c="CONTRACT_END",
            Lawful_Decay_Months__c=12.0,
            Lawful_Cookie_Like__c=True,
            Lawful_Channels__c="EMAIL;SMS",
            Lawful_Data_Categories__c="CONTRACT_DATA;MARKETING_HISTORY",
            Lawful_Professional_Role__c=True,
            Lawful_Legal_Claims__c=True,
        ),
        {
            "Reference__c": "LIA-7",
            "Outcome__c": "PASS",
            "Assessed_On__c": "2025-01-01",
            "Review_Due__c": "2026-01-01",
        },
    )
    assert (purpose.id, purpose.name, purpose.category, purpose.basis) == (
        "0ZW000000000001AAA",
        "Pet marketing",
        Category.MARKETING,
        Basis.LEGITIMATE_INTERESTS,
    )
    assert (purpose.lia_reference, purpose.lia_outcome, purpose.lia_review_date) == (
        "LIA-7",
        LiaOutcome.PASS,
        T0,
    )
    assert purpose.lia_valid_at(T0)
    assert purpose.retention is not None
    assert (purpose.retention.months, purpose.retention.trigger) == (
        60,
        RetentionTrigger.CONTRACT_END,
    )
    assert purpose.channels == (Channel.EMAIL, Channel.SMS)
    assert purpose.data_categories == ("CONTRACT_DATA", "MARKETING_HISTORY")
    assert purpose.decay_months == 12
    assert purpose.special_category
    assert purpose.cookie_like
    assert purpose.legal_claims
    assert purpose.relevant_to_professional_role
    assert purpose.parent_id == "0ZW000000000000AAA"


def test_purpose_without_lia_or_channels() -> None:
    purpose = purpose_from_fields(_purpose(), None)
    assert purpose.channels is None
    assert purpose.lia_reference is None
    assert purpose.retention is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Lawful_Basis__c", "VIBES"),
        ("Lawful_Category__c", "OTHER"),
        ("Lawful_Channels__c", "EMAIL;PIGEON"),
        ("Lawful_Basis__c", None),
    ],
)
def test_purpose_errors_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        purpose_from_fields(_purpose(**{field: value}), None)
    assert caught.value.field == field
