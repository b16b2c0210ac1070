"""DataUsePurpose (+ its Lawful_LIA__c) -> `schemas.purpose.Purpose` (salesforce/README.md)."""

from __future__ import annotations

from typing import Any

from handlers.sf_values import flag, instant, multi, number, picklist, text
from schemas.enums import Basis, Category, Channel, LiaOutcome, RetentionTrigger
from schemas.errors import InvalidInputError
from schemas.purpose import Purpose, RetentionRule


def _required(fields: dict[str, Any], name: str) -> str:
    value = text(fields, name)
    if value is None:
        raise InvalidInputError(name, "required")
    return value


def _channels(fields: dict[str, Any]) -> tuple[Channel, ...] | None:
    names = multi(fields, "Lawful_Channels__c")
    if not names:
        return None
    try:
        return tuple(Channel(name) for name in names)
    except ValueError as error:
        raise InvalidInputError("Lawful_Channels__c", str(error)) from None


def _retention(fields: dict[str, Any]) -> RetentionRule | None:
    months = number(fields, "Lawful_Retention_Months__c")
    trigger = picklist(fields, "Lawful_Retention_Trigger__c", RetentionTrigger)
    if months is None and trigger is None:
        return None
    if months is None or trigger is None or months < 1:
        raise InvalidInputError(
            "Lawful_Retention_Months__c", "retention needs months >= 1 and a trigger"
        )
    return RetentionRule(months=months, trigger=trigger)


def purpose_from_fields(
    purpose_fields: dict[str, Any], lia_fields: dict[str, Any] | None
) -> Purpose:
    """One purpose from its record fields (`Id` included) and its LIA record, if any."""
    basis = picklist(purpose_fields, "Lawful_Basis__c", Basis)
    category = picklist(purpose_fields, "Lawful_Category__c", Category)
    if basis is None:
        raise InvalidInputError("Lawful_Basis__c", "required")
    if category is None:
        raise InvalidInputError("Lawful_Category__c", "required")
    lia = lia_fields or {}
    decay = number(purpose_fields, "Lawful_Decay_Months__c")
    return Purpose(
        id=_required(purpose_fields, "Id"),
        name=text(purpose_fields, "Name"),
        category=category,
        basis=basis,
        product_family=text(purpose_fields, "Lawful_Product_Family__c"),
        brand=text(purpose_fields, "Lawful_Brand__c"),
        parent_id=text(purpose_fields, "Lawful_Parent_Purpose__c"),
        lia_reference=text(lia, "Reference__c"),
        lia_outcome=picklist(lia, "Outcome__c", LiaOutcome),
        lia_date=instant(lia, "Assessed_On__c"),
        lia_review_date=instant(lia, "Review_Due__c"),
        special_category=flag(purpose_fields, "Lawful_Special_Category__c"),
        art9_condition=text(purpose_fields, "Lawful_Art9_Condition__c"),
        art10=flag(purpose_fields, "Lawful_Art10__c"),
        art10_authorisation=text(purpose_fields, "Lawful_Art10_Authorisation__c"),
        legal_reference=text(purpose_fields, "Lawful_Legal_Reference__c"),
        retention=_retention(purpose_fields),
        decay_months=decay if decay else None,
        cookie_like=flag(purpose_fields, "Lawful_Cookie_Like__c"),
        channels=_channels(purpose_fields),
        data_categories=multi(purpose_fields, "Lawful_Data_Categories__c"),
        relevant_to_professional_role=flag(purpose_fields, "Lawful_Professional_Role__c"),
        legal_claims=flag(purpose_fields, "Lawful_Legal_Claims__c"),
    )
