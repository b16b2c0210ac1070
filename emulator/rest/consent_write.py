"""Consent API write side: PATCH consent/action/<action>?ids=<email>&status=optin|optout."""

from __future__ import annotations

from typing import Any

from emulator.errors import SalesforceError
from emulator.rest.consent import CHANNEL_ACTIONS, INDIVIDUAL_FLAGS, PERSON_FLAGS, people
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.store import Record
from emulator.transaction import RecordError, UnitOfWork
from emulator.validation import FieldValueError, coerce_datetime

POINT_TYPES = {
    "email": "Email",
    "phone": "Phone",
    "web": "Web",
    "social": "Social",
    "mail": "MailingAddress",
}
INDIVIDUAL_LINK = {
    "Contact": "IndividualId",
    "Lead": "IndividualId",
    "Account": "PersonIndividualId",
}


def _individual(work: UnitOfWork, name: str, record: Record, create: bool) -> str | None:
    field = INDIVIDUAL_LINK.get(name)
    if name == "Individual":
        return str(record["Id"])
    if field is None:
        return None
    if record.get(field) or not create:
        return record.get(field)
    schema = work.store.schema.objects
    last = record.get("LastName") or record.get("Name") or "Unknown"
    individual = work.create(
        schema["Individual"], {"LastName": last, "FirstName": record.get("FirstName")}
    )
    work.update(schema[name], record["Id"], {field: individual})
    return individual


def _purpose_id(request: RestRequest) -> str | None:
    name = request.query.get("purpose")
    if not name:
        return None
    for row in request.org.store.live("DataUsePurpose"):
        if str(row.get("Name", "")).lower() == name.lower():
            return str(row["Id"])
    raise SalesforceError.of(400, "INVALID_PARAMETER", f"Unknown purpose: {name}")


def _apply(request: RestRequest, work: UnitOfWork, action: str, opt_in: bool) -> dict[str, Any]:
    query = request.query
    try:
        captured = coerce_datetime(
            query.get("captureDate") or request.org.clock.datetime().isoformat()
        )
    except FieldValueError:
        raise SalesforceError.of(
            400, "INVALID_PARAMETER", "captureDate is not a dateTime"
        ) from None
    schema = work.store.schema.objects
    purpose = _purpose_id(request)
    out: dict[str, Any] = {}
    for key in [i.strip() for i in query.get("ids", "").split(",") if i.strip()]:
        found = people(work.store, key)
        for name, record in found:
            flag = PERSON_FLAGS.get(action)
            if flag and name in ("Contact", "Lead"):
                work.update(schema[name], record["Id"], {flag: not opt_in})
            individual = _individual(work, name, record, query.get("createIndividual") == "true")
            if individual is None:
                continue
            if action in INDIVIDUAL_FLAGS:
                field, proceed_when = INDIVIDUAL_FLAGS[action]
                work.update(schema["Individual"], individual, {field: opt_in == proceed_when})
                continue
            work.create(
                schema["ContactPointTypeConsent"],
                {
                    "Name": f"{action} {'opt-in' if opt_in else 'opt-out'} (Consent API)",
                    "PartyId": individual,
                    "ContactPointType": POINT_TYPES[action],
                    "PrivacyConsentStatus": "OptIn" if opt_in else "OptOut",
                    "CaptureDate": captured,
                    "EffectiveFrom": captured,
                    "CaptureSource": query.get("captureSource") or "Consent API",
                    "DataUsePurposeId": purpose,
                },
            )
        out[key] = {"result": "Success" if found else "Failure"}
    return out


def consent_write_handler(request: RestRequest, action: str) -> RestResponse:
    status = request.query.get("status", "").lower()
    if status not in ("optin", "optout") or not request.query.get("ids"):
        raise SalesforceError.of(
            400, "INVALID_PARAMETER", "ids and status=optin|optout are required"
        )
    if action not in POINT_TYPES and action not in INDIVIDUAL_FLAGS:
        raise SalesforceError.of(400, "INVALID_PARAMETER", f"Unsupported action: {action}")
    work = request.unit_of_work()
    try:
        body = _apply(request, work, action, status == "optin")
    except RecordError as error:
        work.rollback()
        raise SalesforceError(error.status, error.items) from None
    request.commit(work)
    return ok(body)


__all__ = ["CHANNEL_ACTIONS", "consent_write_handler"]
