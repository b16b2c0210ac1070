"""Consent API read side: GET consent/action/<action> and consent/multiaction (§6.10)."""

from __future__ import annotations

from typing import Any

from emulator.errors import SalesforceError, not_found
from emulator.ids import normalise
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.store import Record, Store

INDIVIDUAL_FLAGS = {
    "track": ("HasOptedOutTracking", False),
    "geotrack": ("HasOptedOutGeoTracking", False),
    "profile": ("HasOptedOutProfiling", False),
    "process": ("HasOptedOutProcessing", False),
    "solicit": ("HasOptedOutSolicit", False),
    "shouldforget": ("ShouldForget", True),
    "portability": ("SendIndividualData", True),
    "storepiielsewhere": ("CanStorePiiElsewhere", True),
}
CHANNEL_ACTIONS = {
    "email": "Email",
    "phone": "Phone",
    "mail": "MailingAddress",
    "social": "Social",
    "web": "Web",
    "fax": None,
}
PERSON_FLAGS = {"email": "HasOptedOutOfEmail", "fax": "HasOptedOutOfFax", "phone": "DoNotCall"}
RESULT_KEYS = {
    "mail": "mailingResult",
    "shouldforget": "shouldForgetResult",
    "storepiielsewhere": "storePIIElsewhereResult",
}


def people(store: Store, key: str) -> list[tuple[str, Record]]:
    record_id = normalise(key)
    if record_id is not None:
        found = store.find(record_id)
        return [(found[0].name, found[1])] if found else []
    needle = key.lower()
    out = []
    for name, field_name in (("Contact", "Email"), ("Lead", "Email"), ("Account", "PersonEmail")):
        out += [(name, r) for r in store.live(name) if str(r.get(field_name, "")).lower() == needle]
    return out


def _proceed(
    store: Store, action: str, people: list[tuple[str, Record]], now: str, purpose: str | None
) -> bool:
    if not people:
        return False
    individuals = {r.get("IndividualId") or r.get("PersonIndividualId") for _, r in people}
    individuals |= {r["Id"] for n, r in people if n == "Individual"}
    individuals.discard(None)
    if action in INDIVIDUAL_FLAGS:
        field_name, wanted = INDIVIDUAL_FLAGS[action]
        rows = [store.get("Individual", str(i)) for i in individuals]
        return bool(rows) and all(r is not None and bool(r.get(field_name)) == wanted for r in rows)
    flag = PERSON_FLAGS.get(action)
    if flag and any(r.get(flag) or r.get("Person" + flag) for _, r in people):
        return False
    channel = CHANNEL_ACTIONS.get(action)
    for consent in store.live("ContactPointTypeConsent"):
        if consent.get("PartyId") not in individuals or consent.get("ContactPointType") != channel:
            continue
        if purpose and not _purpose_named(store, consent, purpose):
            continue
        active = (consent.get("EffectiveFrom") or "") <= now < (consent.get("EffectiveTo") or "~")
        if active and consent.get("PrivacyConsentStatus") == "OptOut":
            return False
    return True


def _purpose_named(store: Store, consent: Record, purpose: str) -> bool:
    row = store.get("DataUsePurpose", str(consent.get("DataUsePurposeId")))
    return row is not None and str(row.get("Name", "")).lower() == purpose.lower()


def consent_handler(request: RestRequest) -> RestResponse:
    parts = request.parts
    if request.method == "PATCH" and len(parts) == 3 and parts[1] == "action":
        from emulator.rest.consent_write import consent_write_handler  # noqa: PLC0415 - cycle

        return consent_write_handler(request, parts[2].lower())
    if request.method != "GET":
        raise SalesforceError.of(405, "METHOD_NOT_ALLOWED", "Allowed are GET,PATCH")
    if len(parts) == 3 and parts[1] == "action":
        actions = [parts[2].lower()]
    elif len(parts) == 2 and parts[1] == "multiaction":
        actions = [a.strip().lower() for a in request.query.get("actions", "").split(",") if a]
    else:
        raise not_found()
    ids = [i.strip() for i in request.query.get("ids", "").split(",") if i.strip()]
    unknown = [a for a in actions if a not in INDIVIDUAL_FLAGS and a not in CHANNEL_ACTIONS]
    if not ids or not actions or unknown:
        raise SalesforceError.of(400, "INVALID_PARAMETER", "ids and a valid action are required")
    now = request.org.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    store = request.org.store
    purpose = request.query.get("purpose")
    body: dict[str, Any] = {}
    for key in ids:
        people_found = people(store, key)
        proceed: dict[str, str] = {}
        for action in actions:
            proceed[action] = str(_proceed(store, action, people_found, now, purpose)).lower()
            proceed[RESULT_KEYS.get(action, action + "Result")] = "Success"
        body[key] = {"result": "Success", "proceed": proceed}
    return ok(body)
