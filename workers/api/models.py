"""Request and response bodies of the API (also the source of the OpenAPI components)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.codes import Reason
from schemas.enums import Basis, Channel
from schemas.messages import AlertMessage, PermissionCell, PermissionsSnapshot, PurposeInfo
from workers.api.reasons import in_words

Trace = list[dict[str, object]]

IndividualId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ReasonView(BaseModel):
    code: Reason
    text: str


class CellView(BaseModel):
    """One cell of the permission matrix and why it is what it is."""

    purpose_id: str
    category: str | None
    channel: Channel | None
    permitted: bool
    reason: ReasonView
    rule: str
    row: str | None
    basis: Basis | None
    valid_until: AwareDatetime | None
    secondary_reasons: list[ReasonView]
    trace: list[dict[str, object]] | None = Field(
        None, description="The engine's rule-by-rule trace, when the worker stores the state"
    )

    @classmethod
    def of(
        cls, cell: PermissionCell, info: PurposeInfo | None, trace: Trace | None = None
    ) -> CellView:
        return cls(
            purpose_id=cell.purpose_id,
            category=info.category if info else None,
            channel=cell.channel,
            permitted=cell.permitted,
            reason=ReasonView(code=cell.reason, text=in_words(cell.reason)),
            rule=cell.rule,
            row=cell.row,
            basis=cell.effective_basis,
            valid_until=cell.valid_until,
            secondary_reasons=[
                ReasonView(code=r, text=in_words(r)) for r in cell.secondary_reasons
            ],
            trace=trace,
        )


class PersonView(BaseModel):
    individual_id: str
    org_id: str | None
    brand: str | None
    jurisdiction: str | None
    evaluated_at: AwareDatetime
    erased: bool
    next_horizon: AwareDatetime | None
    cells: list[CellView]

    @classmethod
    def of(
        cls,
        snapshot: PermissionsSnapshot,
        cells: list[PermissionCell],
        traces: dict[tuple[str, Channel | None], Trace] | None = None,
    ) -> PersonView:
        purposes = {p.purpose_id: p for p in snapshot.purposes}
        traces = traces or {}
        return cls(
            individual_id=snapshot.individual_id,
            org_id=snapshot.org_id,
            brand=snapshot.brand,
            jurisdiction=snapshot.jurisdiction,
            evaluated_at=snapshot.evaluated_at,
            erased=snapshot.erased,
            next_horizon=snapshot.next_horizon,
            cells=[
                CellView.of(c, purposes.get(c.purpose_id), traces.get((c.purpose_id, c.channel)))
                for c in cells
            ],
        )


class SearchResult(BaseModel):
    total: int = Field(description="Persons matching all filters")
    offset: int
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
    items: list[PersonView] = Field(description="Each person with the cells that matched")


class AlertsResult(BaseModel):
    items: list[AlertMessage]


class LookupRequest(BaseModel):
    """Find persons by a contact value, given in the body only (hashed with a secret key)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, min_length=3, max_length=320)
    phone: str | None = Field(None, min_length=3, max_length=40)
    jurisdiction: str = Field("", max_length=8, pattern=r"^[A-Za-z-]*$")

    @model_validator(mode="after")
    def _exactly_one(self) -> LookupRequest:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give exactly one of email or phone")
        return self


class LookupResult(BaseModel):
    individual_ids: list[str]


class OperationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,80}$")]] = Field(
        default_factory=list, max_length=50, description="Entities to backfill (empty: all)"
    )


class ReplayRequest(BaseModel):
    """Re-deliver a CDC or platform-event channel from a replay id (operator)."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(
        pattern=r"^/(data|event)/[A-Za-z0-9_]{1,80}$",
        description="A channel the bridge subscribes to, e.g. /data/ChangeEvents",
    )
    replay_id: int = Field(
        ge=-2,
        description="Re-deliver the events after this replay id; -2: every retained event",
    )

    @model_validator(mode="after")
    def _not_new_only(self) -> ReplayRequest:
        if self.replay_id == -1:
            raise ValueError("-1 (new events only) replays nothing: give a replay id or -2")
        return self


class Operation(BaseModel):
    id: str
    kind: str = Field(description="backfill or replay")
    status: str = Field(description="queued, running, done or failed")
    requested_by: str
    requested_at: str
    scope: str = Field(description="Backfill: entities (comma-separated, empty: all)")
    channel: str | None = Field(None, description="Replay: the channel")
    replay_id: int | None = Field(None, description="Replay: events after this replay id")
    attempts: int | None = Field(None, description="Runs started (more than 1 after a restart)")
    started_at: str | None = None
    finished_at: str | None = None
    records_total: int | None = Field(
        None, description="Backfill: records the org reports (grows as each entity starts)"
    )
    records_read: int | None = Field(None, description="Records (backfill) or events read")
    events_produced: int | None = Field(None, description="Messages the broker acknowledged")
    error: str | None = Field(None, description="Why it failed")


class ErrorDetail(BaseModel):
    status: int
    message: str
    parameter: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ErasureStep(BaseModel):
    state: str
    at: AwareDatetime
    reason: str | None = None


class ErasureView(BaseModel):
    """One erasure request: states, dates and counts only (no personal value)."""

    request_id: str
    individual_id: str
    state: str = Field(description="received, planned, masking, deleting, purging, notifying, "
                       "tombstoned, done, blocked or failed")  # fmt: skip
    reason: str | None = Field(description="Why it is blocked or failed")
    actor: str = Field(description="Who asked: salesforce, cli:<name> or api:<name>")
    received_at: AwareDatetime
    verified_at: AwareDatetime | None
    due: str | None = Field(description="Statutory due date (ISO date)")
    executed_at: AwareDatetime | None
    deleted: int = Field(description="Records deleted")
    masked: int = Field(description="Records masked and kept")
    retained: int = Field(description="Records retained (legal hold, retention, contract)")
    retained_categories: list[str]
    history: list[ErasureStep] = Field(description="Every state change, oldest first")


class ErasureList(BaseModel):
    offset: int
    limit: int
    items: list[ErasureView] = Field(description="Newest first")


class ErasureCreate(BaseModel):
    """Ask for the erasure of an Individual (operator); the executor picks it up."""

    model_config = ConfigDict(extra="forbid")

    individual_id: IndividualId
    request_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.\-]{1,80}$", description="Default: a random id"
    )


class ErasureAccepted(BaseModel):
    request_id: str
    individual_id: str
    status: str = Field(description="`submitted`: on lawful.person-events.v1 for the executor")
