"""Standard consent-model objects: contact points, consents, purposes, authorization forms."""

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
    ref,
    text,
    textarea,
    url,
)
from emulator.schema.model import ObjectDef

CONTACT_POINT_TYPES = ("Email", "MailingAddress", "Phone", "Social", "Web")
CONSENT_STATUS = ("NotSeen", "Seen", "OptIn", "OptOut", "OptInPending", "OptOutPending")
USAGE_TYPES = ("Home", "Temp", "Work")
PARENTS = ("Individual", "Account")


def _consent_fields(obj: ObjectDef) -> None:
    obj.add(
        text("Name", 255, required=True),
        ref("DataUsePurposeId", "DataUsePurpose"),
        picklist("PrivacyConsentStatus", CONSENT_STATUS, restricted=True, default="NotSeen"),
        datetime_("EffectiveFrom"),
        datetime_("EffectiveTo"),
        datetime_("CaptureDate", required=True),
        text("CaptureSource", 255, required=True),
        picklist("CaptureContactPointType", CONTACT_POINT_TYPES, restricted=True),
        datetime_("DoubleConsentCaptureDate"),
        ref("EngagementChannelTypeId", "EngagementChannelType"),
        ref("BusinessBrandId", "BusinessBrand"),
    )


def contact_point_type_consent() -> ObjectDef:
    obj = new_object("ContactPointTypeConsent", "0ZY")
    _consent_fields(obj)
    obj.add(
        ref("PartyId", "Individual", "Party", required=True),
        picklist("ContactPointType", CONTACT_POINT_TYPES, restricted=True),
    )
    return obj


def contact_point_consent() -> ObjectDef:
    obj = new_object("ContactPointConsent", "0ZC")
    _consent_fields(obj)
    obj.add(
        ref(
            "ContactPointId",
            ("ContactPointEmail", "ContactPointPhone", "ContactPointAddress"),
            "ContactPoint",
            required=True,
        )
    )
    return obj


def _contact_point(name: str, prefix: str) -> ObjectDef:
    obj = new_object(name, prefix)
    obj.add(
        text("Name", 255),
        ref("ParentId", PARENTS, "Parent", required=True),
        boolean("IsPrimary"),
        date("ActiveFromDate"),
        date("ActiveToDate"),
        picklist("UsageType", USAGE_TYPES),
        text("BestTimeToContactTimezone", 40),
    )
    return obj


def contact_points() -> list[ObjectDef]:
    mail = _contact_point("ContactPointEmail", "9CE")
    mail.add(
        email("EmailAddress", required=True),
        text("EmailDomain", 255),
        text("EmailMailBox", 255),
        datetime_("EmailLatestBounceDateTime"),
        text("EmailLatestBounceReasonText", 255),
    )
    tel = _contact_point("ContactPointPhone", "0OW")
    tel.add(
        phone("TelephoneNumber", required=True),
        text("AreaCode", 10),
        text("ExtensionNumber", 10),
        text("FormattedInternationalPhoneNumber", 40),
        text("FormattedNationalPhoneNumber", 40),
        picklist("PhoneType", ("Mobile", "Home", "Work", "Fax")),
        boolean("IsSmsCapable"),
        boolean("IsFaxCapable"),
        boolean("IsBusinessPhone"),
        boolean("IsPersonalPhone"),
        integer("PreferenceRank"),
    )
    post = _contact_point("ContactPointAddress", "8lW")
    address(post, "Address", "")
    post.add(
        picklist("AddressType", ("Billing", "Shipping", "Mailing")),
        boolean("IsDefault"),
    )
    return [mail, tel, post]


def purposes() -> list[ObjectDef]:
    basis = new_object("DataUseLegalBasis", "0ZV")
    basis.add(text("Name", 255, required=True), text("Source", 255), textarea("Description", 1000))
    purpose = new_object("DataUsePurpose", "0ZW")
    purpose.add(
        text("Name", 255, required=True),
        textarea("Description", 1000),
        ref("LegalBasisId", "DataUseLegalBasis", "LegalBasis"),
        ref("PurposeId", ("Product2",), "Purpose"),
        boolean("CanDataSubjectOptOut", default=True),
    )
    channel = new_object("EngagementChannelType", "0eF")
    channel.add(
        text("Name", 255, required=True),
        picklist("ContactPointType", CONTACT_POINT_TYPES, restricted=True),
        boolean("IsActive", default=True),
    )
    brand = new_object("BusinessBrand", "0gB")
    brand.add(text("Name", 255, required=True), url("Website"))
    return [basis, purpose, channel, brand]


def authorization_forms() -> list[ObjectDef]:
    form = new_object("AuthorizationForm", "0cI")
    form.add(
        text("Name", 255, required=True),
        ref("DefaultAuthFormTextId", "AuthorizationFormText", "DefaultAuthFormText"),
        date("EffectiveFromDate"),
        date("EffectiveToDate"),
        boolean("IsSignatureRequired"),
        integer("RevisionNumber"),
    )
    form_text = new_object("AuthorizationFormText", "0cJ")
    form_text.add(
        text("Name", 255, required=True),
        ref("AuthorizationFormId", "AuthorizationForm", required=True),
        ref("ContentDocumentId", "ContentDocument"),
        textarea("DetailAuthorizationFormText", 131072),
        text("SummaryAuthFormText", 1000),
        url("FullAuthorizationFormUrl"),
        text("Locale", 40),
    )
    consent = new_object("AuthorizationFormConsent", "0cK")
    consent.add(
        text("Name", 255, required=True),
        ref("AuthorizationFormTextId", "AuthorizationFormText", required=True),
        ref(
            "ConsentGiverId",
            ("Account", "Contact", "Individual", "User"),
            "ConsentGiver",
            required=True,
        ),
        datetime_("ConsentCapturedDateTime", required=True),
        text("ConsentCapturedSource", 255, required=True),
        picklist("ConsentCapturedSourceType", ("Email", "Phone", "Web", "Paper", "Other")),
        picklist("Status", ("Seen", "Signed", "Rejected"), restricted=True),
        ref("RelatedRecordId", ("Case", "Opportunity"), "RelatedRecord"),
        ref("DocumentVersionId", "ContentVersion", "DocumentVersion"),
    )
    return [form, form_text, consent]


def consent_objects() -> list[ObjectDef]:
    return [
        contact_point_type_consent(),
        contact_point_consent(),
        *contact_points(),
        *purposes(),
        *authorization_forms(),
    ]
