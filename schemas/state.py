"""Folded person state: what the engine knows about one person, as immutable containers.

Each container keeps the timestamped facts so that an evaluation at instant t only looks at what
had happened by t (decisions are reproducible from the log, R20).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from schemas.enums import Basis
from schemas.events import (
    CallAttempted,
    ChannelOptedOut,
    ConsentReconfirmed,
    ConsentRecorded,
    DncListed,
    DncRemoved,
    EngagementRecorded,
    InCallRefusal,
    LegalHoldSet,
    MarketingObjection,
    NoticeShown,
    ProcessingObjection,
    RestrictionSet,
    SuppressionAdded,
)
from schemas.person import Person

GENESIS_HASH = "0" * 64


@lru_cache(maxsize=65536)
def consent_key(purpose_id: str, channel: str | None) -> str:
    """Key of the consent history of (purpose, channel); channel-less records end in `|`."""
    return f"{purpose_id}|{channel or ''}"


@dataclass(frozen=True, slots=True)
class Restriction:
    set_event: RestrictionSet
    lift_notified_at: datetime | None = None
    lifted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ErasureCase:
    request_id: str
    requested_at: datetime
    identity_requested_at: datetime | None = None
    identity_received_at: datetime | None = None
    extension_notice_at: datetime | None = None
    extension_reason: str | None = None
    executed_at: datetime | None = None
    erased_categories: tuple[str, ...] = ()
    retained_categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hold:
    set_event: LegalHoldSet
    released_at: datetime | None = None

    def active_at(self, t: datetime) -> bool:
        """Set by t, not released by t, and t before its `until` (half-open)."""
        event = self.set_event
        if event.occurred_at > t or (self.released_at is not None and self.released_at <= t):
            return False
        return event.until is None or t < event.until


@dataclass(frozen=True, slots=True)
class BasisChange:
    at: datetime
    basis: Basis


@dataclass(frozen=True, slots=True)
class PersonState:
    person: Person | None = None
    seen_event_ids: frozenset[str] = frozenset()
    consents: dict[str, tuple[ConsentRecorded, ...]] = field(default_factory=dict)
    reconfirmations: tuple[ConsentReconfirmed, ...] = ()
    engagements: tuple[EngagementRecorded, ...] = ()  # in (occurred_at, event_id) order
    channel_opt_outs: tuple[ChannelOptedOut, ...] = ()
    dm_objections: tuple[MarketingObjection, ...] = ()
    objections: dict[str, tuple[ProcessingObjection, ...]] = field(default_factory=dict)
    restrictions: dict[str, Restriction] = field(default_factory=dict)
    dnc: tuple[DncListed | DncRemoved, ...] = ()
    calls: tuple[CallAttempted, ...] = ()
    refusals: tuple[InCallRefusal, ...] = ()
    notices: dict[str, tuple[NoticeShown, ...]] = field(default_factory=dict)
    basis_changes: dict[str, tuple[BasisChange, ...]] = field(default_factory=dict)
    vital_interests: dict[str, tuple[datetime, ...]] = field(default_factory=dict)
    erasures: dict[str, ErasureCase] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    suppressions: tuple[SuppressionAdded, ...] = ()
    emitted_alerts: frozenset[str] = frozenset()
    audit_head: str = GENESIS_HASH
    audit_count: int = 0
