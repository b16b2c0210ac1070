"""A processing purpose and its lawful basis (org-level, `DataUsePurpose` + lawful's fields)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from schemas.base import Inbound
from schemas.enums import Basis, Category, Channel, LiaOutcome, RetentionTrigger


class RetentionRule(Inbound):
    """How long data kept under a legal obligation stays, and from which trigger."""

    months: int = Field(ge=1)
    trigger: RetentionTrigger
    channels: frozenset[Channel] | None = Field(
        None,
        description="LAST_CONSENT_USE only: the consents (and, for phone channels, the calls) "
        "that count; None: every consent and call",
    )


class Purpose(Inbound):
    id: str = Field(min_length=1, max_length=80)
    name: str | None = None
    category: Category
    product_family: str | None = None
    parent_id: str | None = None
    basis: Basis
    brand: str | None = None
    lia_reference: str | None = None
    lia_outcome: LiaOutcome | None = None
    lia_date: AwareDatetime | None = None
    lia_review_date: AwareDatetime | None = None
    special_category: bool = False
    art9_condition: str | None = None
    art10: bool = False
    art10_authorisation: str | None = None
    legal_reference: str | None = None
    retention: RetentionRule | None = None
    decay_months: int | None = Field(None, ge=1, description="Overrides the category default")
    cookie_like: bool = False
    channels: tuple[Channel, ...] | None = Field(
        None, description="Channels this purpose may use; every channel when absent"
    )
    data_categories: tuple[str, ...] = ()
    relevant_to_professional_role: bool = Field(
        False, description="B2B offer relevant to the recipient's role (FR, T12/T13)"
    )
    legal_claims: bool = Field(False, description="Processing for legal claims (R11)")

    def lia_valid_at(self, t: datetime) -> bool:
        return (
            self.lia_reference is not None
            and self.lia_outcome is LiaOutcome.PASS
            and self.lia_date is not None
            and self.lia_date <= t
        )
