"""The record replica's state and requests: one Salesforce record's current image."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RecordImage(BaseModel):
    """The latest known fields of one Salesforce record (compound fields flattened).

    `individual_id` is the person the record belongs to (None: not resolvable); a deleted
    record keeps its id, fields and person so that the person can be told and an UNDELETE
    compared with what was known.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    entity: str
    record_id: str
    fields: dict[str, Any] = Field(default_factory=dict)
    deleted: bool = False
    last_commit_ms: int = 0
    last_replay_id: int | None = None
    individual_id: str | None = None
    persons: tuple[str, ...] = Field((), description="Every person last told about the record")
    last_change: str | None = Field(
        None, description="transactionKey:sequenceNumber of the last applied change (dedup)"
    )


class ResyncRequest(BaseModel):
    """Ask the REST/SOQL side to re-read records (empty `record_ids`: the whole entity)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity: str
    record_ids: tuple[str, ...] = ()
    reason: str


class LinkChange(BaseModel):
    """A record that leads to a person (Contact/Lead/Account -> Individual, Opportunity ->
    Individual through a contact role) was linked or unlinked; the worker keeps these so that
    records without a direct Individual lookup can be resolved (`links` argument)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    individual_id: str
    linked: bool
