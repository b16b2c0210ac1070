"""Deterministic demo data: N persons with consent histories, written straight into the store."""

from __future__ import annotations

import gc
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.clock import format_dt
from emulator.org import Org
from emulator.person_accounts import contact_values
from emulator.schema.model import ObjectDef
from emulator.seed_reference import ReferenceData, ensure_reference_data
from emulator.store import Record, StagedChange

FIRST = (
    "Maria",
    "Jonas",
    "Amelie",
    "Lucas",
    "Chloe",
    "Oliver",
    "Emma",
    "Hugo",
    "Mia",
    "Noah",
    "Lea",
    "Paul",
    "Sophie",
    "Louis",
    "Hannah",
    "Arthur",
    "Isla",
    "Felix",
    "Jade",
    "Theo",
)
LAST = (
    "Keller",
    "Martin",
    "Smith",
    "Bernard",
    "Muller",
    "Jones",
    "Dubois",
    "Schmidt",
    "Brown",
    "Moreau",
    "Fischer",
    "Taylor",
    "Laurent",
    "Weber",
    "Wilson",
    "Lefevre",
    "Wagner",
    "Evans",
)
JURISDICTIONS = ("UK", "UK", "UK", "FR", "FR", "DE", "DE", "IE", "NL", "ES")
METHODS = (
    "CHECKBOX_UNTICKED",
    "CHECKBOX_UNTICKED",
    "EXPRESS_STATEMENT",
    "VERBAL_RECORDED",
    "SIGNED_FORM",
    "TWO_STAGE_CONFIRMATION",
    "PRE_TICKED",
    "THIRD_PARTY_UNNAMED",
)
SOURCES = (
    "https://www.example-insurer.test/quote",
    "https://www.example-insurer.test/prefs",
    "call-centre",
    "paper-form",
    "partner-list",
)
ENGAGEMENTS = ("CLICK", "PURCHASE", "QUOTE", "REPLY", "LOGIN", "OPEN", "PREFERENCE_UPDATE")


class _Writer:
    """Builds complete records (system fields included) and stages them as CREATE changes."""

    def __init__(self, org: Org, now: str) -> None:
        self.org = org
        self.now = now
        self.user = org.integration_user.user_id
        self.staged: list[StagedChange] = []
        self._objects: dict[str, tuple[ObjectDef, dict[str, Any]]] = {}

    def add(self, obj_name: str, values: dict[str, Any]) -> str:
        obj, defaults = self._object(obj_name)
        record_id = self.org.store.ids.new(obj.key_prefix)
        record: Record = {"Id": record_id, "IsDeleted": False, **defaults}
        record.update(values)
        record.update(
            CreatedDate=self.now,
            CreatedById=self.user,
            LastModifiedDate=self.now,
            LastModifiedById=self.user,
            SystemModstamp=self.now,
        )
        if "OwnerId" in obj.fields:
            record["OwnerId"] = self.user
        if obj.name_from_parts or (obj_name == "Account" and "LastName" in values):
            record["Name"] = f"{values.get('FirstName', '')} {values['LastName']}".strip()
        name_field = obj.fields.get("Name")
        if name_field is not None and name_field.auto_number_format:
            number = self.org.store.next_auto_number(obj_name)
            record["Name"] = name_field.auto_number_format.split("{")[0] + f"{number:06d}"
        # The record itself is the CREATE body: stored records are replaced, never mutated, and
        # the streaming side drops Id/IsDeleted/SystemModstamp and nulls from CREATE bodies.
        self.staged.append(StagedChange(obj_name, "CREATE", record_id, record, (), record))
        return record_id

    def _object(self, name: str) -> tuple[ObjectDef, dict[str, Any]]:
        if name not in self._objects:
            obj = self.org.object(name)
            defaults = {
                d.name: d.default_value
                for d in obj.fields.values()
                if d.defaulted_on_create and d.default_value is not None
            }
            self._objects[name] = (obj, defaults)
        return self._objects[name]

    def flush(self) -> None:
        if self.staged:
            self.org.store.apply(self.staged, "", self.user)
            self.staged = []


def _when(anchor: datetime, rng: random.Random, max_days: int, min_days: int = 0) -> datetime:
    return anchor - timedelta(days=rng.randint(min_days, max_days), seconds=rng.randint(0, 86399))


def _consents(
    w: _Writer,
    rng: random.Random,
    ref: ReferenceData,
    anchor: datetime,
    *,
    individual: str,
    channels: list[str],
) -> None:
    """One to three purpose x channel histories: an opt-in, sometimes a later opt-out."""
    for purpose in rng.sample(ref.marketing, k=rng.randint(1, len(ref.marketing))):
        for channel in channels:
            captured = _when(anchor, rng, 1460, 30)
            method = rng.choice(METHODS)
            common = {
                "PartyId": individual,
                "DataUsePurposeId": purpose,
                "ContactPointType": channel,
                "EngagementChannelTypeId": ref.channel_types.get(channel),
                "CaptureContactPointType": "Web" if channel == "Email" else channel,
                "Lawful_Notice_Version__c": f"PN-{captured.year}-{rng.randint(1, 3)}",
                "Lawful_Channel__c": "EMAIL" if channel == "Email" else "PHONE_LIVE",
            }
            w.add(
                "ContactPointTypeConsent",
                {
                    **common,
                    "Name": f"{channel} opt-in",
                    "PrivacyConsentStatus": "OptIn",
                    "CaptureDate": format_dt(captured),
                    "EffectiveFrom": format_dt(captured),
                    "CaptureSource": rng.choice(SOURCES),
                    "Lawful_Capture_Method__c": method,
                    "Lawful_Actor__c": "IMPORT" if method == "THIRD_PARTY_UNNAMED" else "SELF",
                    "DoubleConsentCaptureDate": format_dt(captured + timedelta(minutes=7))
                    if method == "TWO_STAGE_CONFIRMATION" or rng.random() < 0.3
                    else None,
                    "EffectiveTo": format_dt(captured + timedelta(days=730))
                    if rng.random() < 0.2
                    else None,
                },
            )
            if rng.random() < 0.25:
                withdrawn = captured + timedelta(
                    days=rng.randint(1, max((anchor - captured).days, 1))
                )
                w.add(
                    "ContactPointTypeConsent",
                    {
                        **common,
                        "Name": f"{channel} opt-out",
                        "PrivacyConsentStatus": "OptOut",
                        "CaptureDate": format_dt(withdrawn),
                        "EffectiveFrom": format_dt(withdrawn),
                        "CaptureSource": "unsubscribe-link",
                        "Lawful_Actor__c": "SELF",
                    },
                )


def _person(w: _Writer, rng: random.Random, ref: ReferenceData, anchor: datetime, n: int) -> None:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower()}.{n}@example.org"
    phone = f"+44 7700 {rng.randint(100000, 999999)}"
    born = anchor.date() - timedelta(days=rng.randint(14 * 365, 85 * 365))
    individual = w.add(
        "Individual",
        {
            "FirstName": first,
            "LastName": last,
            "BirthDate": born.isoformat(),
            "Lawful_Jurisdiction__c": rng.choice(JURISDICTIONS),
            "Lawful_Subscriber_Type__c": "INDIVIDUAL" if rng.random() < 0.9 else "CORPORATE",
            "HasOptedOutSolicit": rng.random() < 0.03,
        },
    )
    kind = rng.random()
    person = {
        "FirstName": first,
        "LastName": last,
        "IndividualId": individual,
        "Email": email,
        "Phone": phone,
        "HasOptedOutOfEmail": rng.random() < 0.05,
    }
    if kind < 0.7:
        w.add("Contact", person)
    elif kind < 0.9:
        w.add("Lead", {**person, "Company": f"{last} Household"})
    else:
        w.add(
            "Account",
            {
                "FirstName": first,
                "LastName": last,
                "PersonIndividualId": individual,
                "PersonEmail": email,
                "Phone": phone,
                "IsPersonAccount": True,
            },
        )
        account = w.staged[-1].values  # the staged record itself: complete it in place
        account["PersonContactId"] = w.add(
            "Contact",
            {
                **{k: v for k, v in contact_values(account).items() if v is not None},
                "AccountId": account["Id"],
                "IsPersonAccount": True,
            },
        )
    w.add(
        "ContactPointEmail",
        {"ParentId": individual, "EmailAddress": email, "IsPrimary": True, "Name": email},
    )
    channels = ["Email"]
    if rng.random() < 0.5:
        w.add(
            "ContactPointPhone",
            {"ParentId": individual, "TelephoneNumber": phone, "IsPrimary": True, "Name": phone},
        )
        channels.append("Phone")
    _consents(w, rng, ref, anchor, individual=individual, channels=channels)
    _extras(w, rng, ref, anchor, individual)


def _extras(
    w: _Writer, rng: random.Random, ref: ReferenceData, anchor: datetime, individual: str
) -> None:
    """Notices for everyone; engagements, objections, erasures and restrictions for a few."""
    shown = _when(anchor, rng, 1500, 1000)
    w.add(
        "Lawful_Notice__c",
        {
            "Individual__c": individual,
            "Kind__c": "ART13_SHOWN",
            "Notice_Version__c": f"PN-{shown.year}-1",
            "Shown_At__c": format_dt(shown),
        },
    )
    if rng.random() < 0.5:
        w.add(
            "Lawful_Engagement_Event__c",
            {
                "Individual__c": individual,
                "Type__c": rng.choice(ENGAGEMENTS),
                "Occurred_At__c": format_dt(_when(anchor, rng, 700)),
                "Channel__c": "EMAIL",
                "Product_Family__c": rng.choice(("PET", "CAR")),
                "Opt_Out_Offered__c": True,
            },
        )
    roll = rng.random()
    if roll < 0.03:
        w.add(
            "Lawful_Objection__c",
            {
                "Individual__c": individual,
                "Kind__c": "DIRECT_MARKETING",
                "Status__c": "UPHELD",
                "Received_At__c": format_dt(_when(anchor, rng, 300)),
            },
        )
    elif roll < 0.04:
        w.add(
            "Lawful_Erasure_Request__c",
            {
                "Individual__c": individual,
                "Request_Id__c": f"ERQ-{rng.getrandbits(64):016x}",
                "Status__c": "RECEIVED",
                "Received_At__c": format_dt(_when(anchor, rng, 20)),
            },
        )
    elif roll < 0.05:
        w.add(
            "Lawful_Restriction__c",
            {
                "Individual__c": individual,
                "Scope__c": "PERSON",
                "Ground__c": "ACCURACY_CONTESTED",
                "Set_At__c": format_dt(_when(anchor, rng, 60)),
            },
        )


def seed_org(
    org: Org, persons: int, *, seed: int = 0, batch_size: int = 1000, emit_changes: bool = True
) -> dict[str, Any]:
    """Add `persons` people (deterministic for a given seed and day); one transaction per batch."""
    started = time.perf_counter()
    ref = ensure_reference_data(org)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    anchor = datetime.fromtimestamp(org.clock.now(), tz=UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    writer = _Writer(org, format_dt(datetime.fromtimestamp(org.clock.now(), tz=UTC)))
    sink = org.store.sink
    if not emit_changes:
        org.store.sink = None
    collecting = gc.isenabled()
    gc.disable()  # millions of new containers: cyclic GC passes would make seeding quadratic
    try:
        for n in range(persons):
            _person(writer, rng, ref, anchor, n)
            if (n + 1) % batch_size == 0:
                writer.flush()
        writer.flush()
    finally:
        org.store.sink = sink
        if collecting:
            gc.enable()
        gc.freeze()  # keep the seeded records out of future collections
    records = sum(len(t) for t in org.store.tables.values())
    return {
        "persons": persons,
        "seed": seed,
        "records": records,
        "seconds": round(time.perf_counter() - started, 3),
    }
