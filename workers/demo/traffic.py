"""A stream of realistic changes in the demo org, made through lawful's own REST adapter."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workers.salesforce.rest import SimpleSalesforceRest

# (operation, weight): consents dominate, as in a preference centre's traffic.
OPERATIONS = (
    ("opt_in", 40),
    ("click", 30),
    ("opt_out", 16),
    ("objection", 3),
    ("erasure", 1),
)
CHANNELS = (("Email", "EMAIL"), ("Phone", "SMS"), ("Phone", "PHONE_LIVE"))


@dataclass
class TrafficStats:
    made: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    @property
    def total(self) -> int:
        return sum(self.made.values())


class ChangeGenerator:
    """Picks a person and an operation at random (seeded) and writes one change."""

    def __init__(self, rest: SimpleSalesforceRest, seed: int = 7) -> None:
        self.rest = rest
        self.rng = random.Random(seed)  # noqa: S311 - demo traffic, not secrets
        self.people: list[str] = []
        self.purposes: list[str] = []
        self.stats = TrafficStats()

    async def load(self) -> None:
        people = await self.rest.query_all("SELECT Id FROM Individual LIMIT 2000")
        purposes = await self.rest.query_all(
            "SELECT Id FROM DataUsePurpose WHERE Lawful_Category__c = 'MARKETING'"
        )
        self.people = [str(r["Id"]) for r in people]
        self.purposes = [str(r["Id"]) for r in purposes]

    async def step(self) -> None:
        if not self.people or not self.purposes:
            return
        names = [name for name, _ in OPERATIONS]
        weights = [weight for _, weight in OPERATIONS]
        operation = self.rng.choices(names, weights)[0]
        person = self.rng.choice(self.people)
        sobject, record = self._record(operation, person)
        results = await (
            self.rest.update(sobject, [record])
            if "Id" in record
            else self.rest.create(sobject, [record])
        )
        if all(result.success for result in results):
            self.stats.made[operation] = self.stats.made.get(operation, 0) + 1
        else:
            self.stats.failed += 1
        if operation == "erasure":
            self.people.remove(person)  # erased people get no more traffic

    def _record(self, operation: str, person: str) -> tuple[str, dict[str, object]]:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if operation in ("opt_in", "opt_out"):
            point_type, channel = self.rng.choice(CHANNELS)
            return "ContactPointTypeConsent", {
                "Name": f"{channel} {operation}",
                "PartyId": person,
                "DataUsePurposeId": self.rng.choice(self.purposes),
                "ContactPointType": point_type,
                "Lawful_Channel__c": channel,
                "PrivacyConsentStatus": "OptIn" if operation == "opt_in" else "OptOut",
                "CaptureDate": now,
                "EffectiveFrom": now,
                "CaptureSource": "web:preference-centre",
                "Lawful_Capture_Method__c": "CHECKBOX_UNTICKED",
                "Lawful_Notice_Version__c": "PN-2026-1",
                "Lawful_Actor__c": "SELF",
            }
        if operation == "click":
            return "Lawful_Engagement_Event__c", {
                "Individual__c": person,
                "Type__c": "CLICK",
                "Occurred_At__c": now,
                "Channel__c": "EMAIL",
            }
        if operation == "objection":
            return "Lawful_Objection__c", {
                "Individual__c": person,
                "Kind__c": "DIRECT_MARKETING",
                "Status__c": "UPHELD",
                "Received_At__c": now,
                "Reference__c": f"OBJ-{uuid.uuid4().hex[:8]}",
            }
        return "Individual", {"Id": person, "ShouldForget": True}
