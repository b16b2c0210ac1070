"""Standard people objects: Individual, Contact, Lead, Account (incl. person accounts), User."""

from __future__ import annotations

from emulator.schema.builders import (
    address,
    boolean,
    date,
    datetime_,
    email,
    integer,
    new_object,
    phone,
    picklist,
    readonly,
    ref,
    text,
    textarea,
    url,
)
from emulator.schema.model import FieldDef, ObjectDef

SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")
LEAD_STATUS = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)


def _person_name(obj: ObjectDef) -> None:
    obj.name_from_parts = True
    obj.add(
        text("FirstName", 40),
        text("LastName", 80, required=True),
        picklist("Salutation", SALUTATIONS),
        readonly(text("Name", 121)),
    )


def individual() -> ObjectDef:
    obj = new_object("Individual", "0PK")
    _person_name(obj)
    obj.add(
        date("BirthDate"),
        *(
            boolean(flag)
            for flag in (
                "HasOptedOutTracking",
                "HasOptedOutProfiling",
                "HasOptedOutProcessing",
                "HasOptedOutSolicit",
                "HasOptedOutGeoTracking",
                "ShouldForget",
                "SendIndividualData",
                "CanStorePiiElsewhere",
                "HasPrivacyHold",
                "IsHomeOwner",
            )
        ),
        picklist("IndividualsAge", ("Under 13", "13-15", "16-17", "18 or Older", "Unknown")),
        integer("ChildrenCount"),
        integer("ConsumerCreditScore"),
        text("ConsumerCreditScoreProviderName", 255),
        integer("ConvictionsCount"),
        integer("InfluencerRating"),
        date("DeathDate"),
        picklist("MilitaryService", ("Current", "Previous", "Never")),
        text("Occupation", 150),
        url("Website"),
        ref("MasterRecordId", "Individual", "MasterRecord"),
    )
    return obj


def contact() -> ObjectDef:
    obj = new_object("Contact", "003")
    _person_name(obj)
    obj.add(
        ref("AccountId", "Account"),
        ref("IndividualId", "Individual"),
        email("Email"),
        phone("Phone"),
        phone("MobilePhone"),
        phone("Fax"),
        boolean("HasOptedOutOfEmail"),
        boolean("HasOptedOutOfFax"),
        boolean("DoNotCall"),
        date("Birthdate"),
        text("Title", 128),
        text("LeadSource", 255),
        textarea("Description"),
        ref("MasterRecordId", "Contact", "MasterRecord"),
        readonly(boolean("IsPersonAccount")),
    )
    address(obj, "MailingAddress", "Mailing")
    return obj


def lead() -> ObjectDef:
    obj = new_object("Lead", "00Q")
    _person_name(obj)
    obj.add(
        text("Company", 255, required=True),
        ref("IndividualId", "Individual"),
        email("Email"),
        phone("Phone"),
        phone("MobilePhone"),
        boolean("HasOptedOutOfEmail"),
        boolean("HasOptedOutOfFax"),
        boolean("DoNotCall"),
        picklist("Status", LEAD_STATUS, default="Open - Not Contacted"),
        text("LeadSource", 255),
        readonly(boolean("IsConverted")),
        readonly(ref("ConvertedContactId", "Contact")),
        readonly(ref("ConvertedAccountId", "Account")),
        readonly(date("ConvertedDate")),
        textarea("Description"),
    )
    address(obj, "Address", "")
    return obj


def account() -> ObjectDef:
    obj = new_object("Account", "001")
    obj.add(
        text("Name", 255),
        text("FirstName", 40),
        text("LastName", 80),
        picklist("Salutation", SALUTATIONS),
        readonly(boolean("IsPersonAccount")),
        ref("PersonIndividualId", "Individual", "PersonIndividual"),
        readonly(ref("PersonContactId", "Contact", "PersonContact")),
        email("PersonEmail"),
        phone("PersonMobilePhone"),
        phone("Phone"),
        boolean("PersonHasOptedOutOfEmail"),
        boolean("PersonHasOptedOutOfFax"),
        boolean("PersonDoNotCall"),
        date("PersonBirthdate"),
        picklist("Type", ("Customer", "Prospect", "Partner", "Other")),
        text("Industry", 255),
        textarea("Description"),
        ref("ParentId", "Account", "Parent"),
    )
    address(obj, "BillingAddress", "Billing")
    address(obj, "PersonMailingAddress", "PersonMailing")
    return obj


def user() -> ObjectDef:
    obj = new_object("User", "005", owned=False)
    _person_name(obj)
    obj.add(
        text("Username", 80, required=True, ext=True),
        email("Email", required=True),
        text("Alias", 8, required=True),
        boolean("IsActive", default=True),
        ref("IndividualId", "Individual"),
        text("TimeZoneSidKey", 40),
        readonly(datetime_("LastLoginDate")),
        text("FederationIdentifier", 512),
    )
    return obj


def person_objects() -> list[ObjectDef]:
    return [individual(), contact(), lead(), account(), user()]


__all__ = ["FieldDef", "person_objects"]
