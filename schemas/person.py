"""The person (`Individual` and linked records) as the engine sees it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, Field

from schemas.base import Inbound
from schemas.enums import ContactPointKind, ObtainedVia, SubscriberType


class ContactPoint(Inbound):
    id: str
    kind: ContactPointKind
    value: str | None = Field(None, description="Only used to compute keyed hashes; never logged")
    is_professional: bool = False
    opt_out_offered_at_collection: bool = False
    obtained_via: ObtainedVia = ObtainedVia.OTHER
    obtained_in_sale_id: str | None = None


class Contract(Inbound):
    id: str
    product_family: str
    brand: str | None = None
    start: AwareDatetime
    end: AwareDatetime | None = None

    def in_force(self, t: datetime) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


class Quote(Inbound):
    id: str
    product_family: str
    brand: str | None = None
    requested_at: AwareDatetime
    valid_until: AwareDatetime


class Purchase(Inbound):
    id: str
    product_family: str
    brand: str | None = None
    at: AwareDatetime


class Recipient(Inbound):
    """An Art. 19 recipient the person's data was disclosed to."""

    id: str
    kind: str = "PROCESSOR"


class Person(Inbound):
    individual_id: str = Field(min_length=1)
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$", description="UK, FR, DE, IE, ...")
    timezone: str | None = None
    birth_date: date | None = None
    subscriber_type: SubscriberType = SubscriberType.INDIVIDUAL
    brand: str | None = None
    org_id: str | None = None
    third_party_source: bool = Field(False, description="Data obtained elsewhere (Art. 14)")
    presumed_consent_ref: str | None = Field(None, description="DE B2B phone (R16)")
    contact_points: tuple[ContactPoint, ...] = ()
    contracts: tuple[Contract, ...] = ()
    quotes: tuple[Quote, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    recipients: tuple[Recipient, ...] = ()
