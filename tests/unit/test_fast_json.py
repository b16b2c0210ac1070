"""`dump_json` writes the same documents as pydantic's `model_dump_json` (key order aside)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

import orjson
import pytest
from pydantic import BaseModel, Field, PlainSerializer, field_serializer

from handlers.aggregate import AggregateOutput, step_person
from schemas.aggregate import AggregateState
from schemas.codes import AlertType
from schemas.fast_json import dump_json, right_sized
from schemas.messages import PersonMessage
from tests.unit.builders import PET, policy
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    days,
    individual_fields,
)

pytestmark = pytest.mark.unit


def same_document(model: BaseModel) -> None:
    fast = dump_json(model)
    assert orjson.loads(fast) == orjson.loads(model.model_dump_json()), type(model).__name__


def engine_outputs() -> list[BaseModel]:
    """A person's outputs: snapshots, changes, audit, alerts (expiring and expired)."""
    pol = policy()
    replica = Replica()
    state: AggregateState | None = None
    outputs: list[AggregateOutput] = []
    messages: list[PersonMessage] = []
    for event in (
        cdc("Individual", "CREATE", PERSON, individual_fields(), at=T0),
        cdc("ContactPointTypeConsent", "CREATE", "0ZY000000000001AAA", consent_fields(PET), at=T0),
    ):
        messages += replica.apply(event).messages
    for message in messages:
        state, output = step_person(state, message, now=T0, policy=pol)
        outputs.append(output)
    assert state is not None
    at = state.next_wakeup
    while at is not None and at < T0 + days(800):
        tick = PersonMessage(individual_id=PERSON, kind="TICK", tick_at=at)
        state, output = step_person(state, tick, now=at, policy=pol)
        outputs.append(output)
        at = state.next_wakeup
    models: list[BaseModel] = []
    for output in outputs:
        models += [*output.changes, *output.audit, *output.alerts, *messages]
        if output.snapshot is not None:
            models.append(output.snapshot)
    types = {a.type for o in outputs for a in o.alerts}
    assert {AlertType.CONSENT_EXPIRING, AlertType.CONSENT_EXPIRED} <= types
    return models


def test_engine_outputs_are_the_same_documents() -> None:
    models = engine_outputs()
    assert len({type(m).__name__ for m in models}) >= 5
    for model in models:
        same_document(model)


class Aliased(BaseModel):
    start: datetime = Field(serialization_alias="from")


class Serialized(BaseModel):
    value: int

    @field_serializer("value")
    def _double(self, value: int) -> int:
        return value * 2


class WithSerializer(BaseModel):
    value: Annotated[int, PlainSerializer(lambda v: v + 1)]
    name: str = Field(min_length=1)


class Holder(BaseModel):
    inner: Any


class Odd(BaseModel):
    wait: timedelta
    stamp: datetime
    tags: frozenset[str]


@pytest.mark.parametrize(
    "model",
    [
        Aliased(start=T0),
        Serialized(value=2),
        Odd(wait=timedelta(seconds=3), stamp=T0, tags=frozenset({"a"})),
        Holder(inner=Aliased(start=T0)),
        WithSerializer(value=1, name="x"),
    ],
    ids=["alias", "serializer", "timedelta", "nested-alias", "annotated-serializer"],
)
def test_customised_or_unwritable_models_go_through_pydantic(model: BaseModel) -> None:
    assert dump_json(model) == model.model_dump_json().encode()


class Stamps(BaseModel):
    utc: datetime
    offset: datetime
    whole: datetime
    naive: datetime


def test_datetimes_match_pydantic_utc_offset_and_whole_seconds() -> None:
    model = Stamps(
        utc=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        offset=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        whole=datetime(2026, 1, 2, tzinfo=UTC),
        naive=datetime(2026, 1, 2, 3, 4, 5, 6),  # noqa: DTZ001 - the naive case on purpose
    )
    assert dump_json(model) == model.model_dump_json().encode()


def _held(make: Callable[[], bytes]) -> float:
    """Bytes of memory each value returned by `make` keeps, on average (traced allocations)."""
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [make() for _ in range(50)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert len(kept) == 50
    return sum(stat.size_diff for stat in after.compare_to(before, "filename")) / 50


def test_outputs_keep_no_more_memory_than_their_length() -> None:
    model = Holder(inner={"text": "x" * 500})
    data = dump_json(model)
    assert right_sized(data) == data
    assert _held(lambda: orjson.dumps(model.__dict__)) > 2 * len(data)  # orjson's whole buffer
    assert _held(lambda: dump_json(model)) < 1.5 * len(data)
