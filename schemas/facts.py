"""The `lawful evaluate` input document: person, purposes, config overrides, events, queries."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from schemas.base import Inbound
from schemas.config import RulesConfig
from schemas.enums import Channel
from schemas.events import PersonEvent
from schemas.person import Person
from schemas.purpose import Purpose


class Query(Inbound):
    purpose_id: str
    channel: Channel | None = None
    at: AwareDatetime | None = None


class AlertWindow(Inbound):
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")


class FactsDocument(Inbound):
    """Everything needed to decide for one person, self-contained and replayable."""

    person: Person
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    config: RulesConfig = RulesConfig()
    events: tuple[PersonEvent, ...] = ()
    at: AwareDatetime | None = Field(None, description="Default evaluation instant")
    queries: tuple[Query, ...] | None = None
    alerts: AlertWindow | None = None
