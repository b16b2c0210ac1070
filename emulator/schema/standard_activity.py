"""Standard objects holding a person's history: cases, activities, files, campaigns, deals."""

from __future__ import annotations

from emulator.schema.builders import (
    boolean,
    date,
    datetime_,
    email,
    integer,
    new_object,
    number,
    picklist,
    readonly,
    ref,
    text,
    textarea,
)
from emulator.schema.model import ObjectDef

WHO = ("Contact", "Lead")
WHAT = ("Account", "Opportunity", "Case", "Campaign")


def _activity(name: str, prefix: str) -> ObjectDef:
    obj = new_object(name, prefix)
    obj.add(
        text("Subject", 255),
        ref("WhoId", WHO, "Who"),
        ref("WhatId", WHAT, "What"),
        date("ActivityDate"),
        textarea("Description"),
    )
    return obj


def cases_and_activities() -> list[ObjectDef]:
    case = new_object("Case", "500")
    case.add(
        readonly(text("CaseNumber", 30)),
        ref("ContactId", "Contact"),
        ref("AccountId", "Account"),
        text("Subject", 255),
        textarea("Description"),
        picklist("Status", ("New", "Working", "Escalated", "Closed"), default="New"),
        picklist("Origin", ("Phone", "Email", "Web")),
        email("SuppliedEmail"),
        text("SuppliedName", 80),
    )
    task = _activity("Task", "00T")
    task.add(
        picklist("Status", ("Not Started", "In Progress", "Completed"), default="Not Started"),
        picklist("Priority", ("High", "Normal", "Low"), default="Normal"),
        picklist("TaskSubtype", ("Task", "Email", "Call")),
        integer("CallDurationInSeconds"),
    )
    event = _activity("Event", "00U")
    event.add(datetime_("StartDateTime"), datetime_("EndDateTime"), text("Location", 255))
    message = new_object("EmailMessage", "02s", owned=False)
    message.add(
        text("Subject", 3000),
        textarea("TextBody", 131072),
        textarea("HtmlBody", 131072),
        text("FromAddress", 1000),
        textarea("ToAddress", 4000),
        datetime_("MessageDate"),
        ref("ParentId", "Case", "Parent"),
        ref("RelatedToId", WHAT, "RelatedTo"),
        boolean("Incoming"),
        picklist("Status", ("0", "1", "2", "3", "4", "5")),
    )
    return [case, task, event, message]


def files() -> list[ObjectDef]:
    document = new_object("ContentDocument", "069")
    document.add(
        text("Title", 255),
        readonly(ref("LatestPublishedVersionId", "ContentVersion", "LatestPublishedVersion")),
    )
    version = new_object("ContentVersion", "068")
    version.add(
        text("Title", 255, required=True),
        text("PathOnClient", 500, required=True),
        textarea("VersionData", 131072),
        ref("ContentDocumentId", "ContentDocument"),
        ref(
            "FirstPublishLocationId",
            ("Contact", "Account", "Case", "Individual"),
            "FirstPublishLocation",
        ),
        boolean("IsLatest", default=True),
    )
    link = new_object("ContentDocumentLink", "06A", owned=False, cdc=False)
    link.add(
        ref("ContentDocumentId", "ContentDocument", required=True),
        ref(
            "LinkedEntityId",
            ("Contact", "Account", "Case", "Individual", "Lead", "User"),
            "LinkedEntity",
            required=True,
        ),
        picklist("ShareType", ("V", "C", "I"), default="V"),
        picklist("Visibility", ("AllUsers", "InternalUsers", "SharedUsers"), default="AllUsers"),
    )
    return [document, version, link]


def deals_and_campaigns() -> list[ObjectDef]:
    product = new_object("Product2", "01t")
    product.add(text("Name", 255, required=True), text("Family", 255), boolean("IsActive"))
    opportunity = new_object("Opportunity", "006")
    opportunity.add(
        text("Name", 120, required=True),
        ref("AccountId", "Account"),
        text("StageName", 255, required=True),
        date("CloseDate", required=True),
        number("Amount", 18, 2, "currency"),
        readonly(boolean("IsWon")),
        readonly(boolean("IsClosed")),
        textarea("Description"),
    )
    role = new_object("OpportunityContactRole", "00K", owned=False)
    role.add(
        ref("OpportunityId", "Opportunity", required=True),
        ref("ContactId", "Contact", required=True),
        picklist("Role", ("Business User", "Decision Maker", "Economic Buyer", "Other")),
        boolean("IsPrimary"),
    )
    campaign = new_object("Campaign", "701")
    campaign.add(
        text("Name", 80, required=True),
        picklist("Type", ("Email", "Phone", "Direct Mail", "Webinar", "Other")),
        boolean("IsActive"),
        date("StartDate"),
        date("EndDate"),
    )
    member = new_object("CampaignMember", "00v", owned=False)
    member.add(
        ref("CampaignId", "Campaign", required=True),
        ref("ContactId", "Contact"),
        ref("LeadId", "Lead"),
        picklist("Status", ("Sent", "Responded"), default="Sent"),
        readonly(boolean("HasResponded")),
        datetime_("FirstRespondedDate"),
    )
    return [product, opportunity, role, campaign, member]


def activity_objects() -> list[ObjectDef]:
    return [*cases_and_activities(), *files(), *deals_and_campaigns()]
