"""The agents' steps with a fake engine and a fake producer: routing, keys, DLQ, retries, resync."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from schemas.config import RulesConfig
from schemas.errors import InvalidInputError, TransientError
from schemas.messages import (
    DeadLetter,
    PermissionsSnapshot,
    PersonMessage,
    SalesforceEvent,
    encode_person_messages,
)
from schemas.policy import Policy
from tests.fixtures.faust_events import Event, Message
from workers.pipeline.bundles import expand_person_messages
from workers.pipeline.consume import Expand, consume_batches
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.persons import PersonsProcessor
from workers.pipeline.ports import (
    CatalogueRecord,
    PersonResult,
    RecordResult,
    ResyncOrder,
    StepPerson,
)
from workers.pipeline.records import RecordsProcessor

pytestmark = pytest.mark.component

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str | None, bytes]] = []

    async def __call__(self, topic: str, key: str | None, value: bytes) -> None:
        self.messages.append((topic, key, value))

    def on(self, topic: str) -> list[tuple[str | None, bytes]]:
        return [(k, v) for t, k, v in self.messages if t == topic]


def cdc(record_id: str | None, change: str = "CREATE", entity: str = "Contact") -> SalesforceEvent:
    header = {"entityName": entity, "changeType": change, "recordIds": [record_id]}
    return SalesforceEvent(
        channel=f"/data/{entity}ChangeEvent",
        replay_id=7,
        record_id=record_id,
        entity=entity,
        change_type=change,
        payload={"ChangeEventHeader": header, "LastName": "X"},
        received_at=NOW,
    )


def origin(value: bytes, key: bytes | None = b"003A", offset: int = 0) -> Origin:
    return Origin("p.lawful.sf-cdc.v1", 1, offset, key, value)


def tick(person: str) -> PersonMessage:
    return PersonMessage(individual_id=person, kind="TICK", tick_at=NOW)


async def fake_apply(image: bytes | None, event: SalesforceEvent, record_id: str) -> RecordResult:
    count = 0 if image is None else int(image.split(b":")[1])
    resync = None
    if event.change_type and event.change_type.startswith("GAP_"):
        resync = ResyncOrder(event.entity or "", (record_id,), event.change_type)
    catalogue = None
    if event.entity == "DataUsePurpose":
        catalogue = CatalogueRecord("DataUsePurpose", record_id, {"Name": "p"})
    return RecordResult(
        image=None if event.change_type == "DELETE" else f"{record_id}:{count + 1}".encode(),
        messages=(tick(f"0PK{record_id}"),),
        resync=resync,
        catalogue=catalogue,
    )


@dataclass
class FakeReader:
    records: dict[str, dict[str, Any]]

    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any] | None:
        return self.records.get(record_id)

    async def query_all(self, soql: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        return [{"Id": rid, **fields} for rid, fields in self.records.items()]

    async def describe(self, sobject: str) -> dict[str, Any]:
        return {"fields": [{"name": "Id"}, {"name": "LastName"}]}


async def test_record_message_updates_the_image_and_re_keys_person_messages() -> None:
    sent = Sent()
    processor = RecordsProcessor(fake_apply, sent)
    table: dict[str, bytes] = {}
    await processor.handle(origin(cdc("003A").model_dump_json().encode()), table)
    await processor.handle(origin(cdc("003A", "UPDATE").model_dump_json().encode()), table)
    assert table == {"003A": b"003A:2"}
    persons = sent.on("lawful.person-events.v1")
    assert [key for key, _ in persons] == ["0PK003A", "0PK003A"]
    assert PersonMessage.model_validate_json(persons[0][1]).kind == "TICK"
    await processor.handle(origin(cdc("003A", "DELETE").model_dump_json().encode()), table)
    assert table == {}


async def test_gap_event_re_reads_records_and_feeds_snapshots_back() -> None:
    sent = Sent()
    orders: list[ResyncOrder] = []
    reader = FakeReader(
        {"003A": {"LastName": "Now", "LastModifiedDate": "2026-11-29T10:00:00.000+0000"}}
    )
    processor = RecordsProcessor(fake_apply, sent, reader=reader, on_resync=orders.append)
    table: dict[str, bytes] = {}
    await processor.handle(origin(cdc("003A", "GAP_UPDATE").model_dump_json().encode()), table)
    await processor.handle(origin(cdc("003B", "GAP_DELETE").model_dump_json().encode()), table)
    assert [o.reason for o in orders] == ["GAP_UPDATE", "GAP_DELETE"]
    fed_back = [SalesforceEvent.model_validate_json(v) for _, v in sent.on("lawful.sf-cdc.v1")]
    assert [(e.record_id, e.change_type, e.origin) for e in fed_back] == [
        ("003A", "SNAPSHOT", "resync"),
        ("003B", "DELETE", "resync"),
    ]
    snapshot = fed_back[0].payload
    assert snapshot["LastName"] == "Now"
    assert snapshot["ChangeEventHeader"]["changeType"] == "CREATE"
    assert snapshot["ChangeEventHeader"]["commitTimestamp"] == int(
        datetime(2026, 11, 29, 10, tzinfo=UTC).timestamp() * 1000
    )
    assert [k for k, _ in sent.on("lawful.sf-cdc.v1")] == ["003A", "003B"]


async def test_catalogue_changes_are_handed_over() -> None:
    seen: list[CatalogueRecord] = []

    async def on_catalogue(record: CatalogueRecord) -> None:
        seen.append(record)

    processor = RecordsProcessor(fake_apply, Sent(), on_catalogue=on_catalogue)
    event = cdc("0ZWA", entity="DataUsePurpose")
    await processor.handle(origin(event.model_dump_json().encode()), {})
    assert seen == [CatalogueRecord("DataUsePurpose", "0ZWA", {"Name": "p"})]


POISON_AT = datetime(2000, 1, 1, tzinfo=UTC)  # a TICK at this time makes `fake_step` fail


def fake_step(
    state: bytes | None, messages: Sequence[PersonMessage], now: datetime, policy: Policy
) -> PersonResult:
    """State: how many messages the person has seen; a snapshot on the first step only."""
    count = 0 if state is None else int(state)
    snapshot = PermissionsSnapshot(
        individual_id=messages[0].individual_id, evaluated_at=now, purposes=(), cells=()
    )
    for message in messages:
        if message.individual_id == "bad" or message.tick_at == POISON_AT:
            raise InvalidInputError("purpose_id", "unknown purpose")
    return PersonResult(
        state=str(count + len(messages)).encode(), snapshot=snapshot if count == 0 else None
    )


async def test_person_outputs_are_keyed_by_individual() -> None:
    sent = Sent()
    processor = PersonsProcessor(
        fake_step, sent, lambda: Policy(RulesConfig(), ()), clock=lambda: NOW
    )
    table: dict[str, bytes] = {}
    for _ in range(2):
        await processor.handle(
            Origin("t", 0, 0, b"0PK1", tick("0PK1").model_dump_json().encode()), table
        )
    assert table == {"0PK1": b"2"}
    snapshots = sent.on("lawful.permissions.v1")
    assert [k for k, _ in snapshots] == ["0PK1"]
    assert PermissionsSnapshot.model_validate_json(snapshots[0][1]).evaluated_at == NOW


async def events(values: list[bytes], size: int = 2) -> AsyncIterator[list[Event]]:
    """Faust `take_events` batches of `size` events."""
    batch = []
    for offset, value in enumerate(values):
        batch.append(Event(Message("p.lawful.person-events.v1", 2, offset, b"k", value)))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sample_value(metrics: PipelineMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.mark.parametrize("whole_batch", [False, True], ids=["per-event", "whole-batch"])
async def test_poison_messages_go_to_the_dlq_and_processing_continues(whole_batch: bool) -> None:
    sent = Sent()
    metrics = PipelineMetrics()
    secret_payload = b'{"individual_id": "a", "kind": "NOPE", "email": "x@example.com"}'
    values = [
        tick("a").model_dump_json().encode(),
        b"{not json",
        secret_payload,
        tick("bad").model_dump_json().encode(),
        tick("b").model_dump_json().encode(),
    ]
    batch = (lambda p: p.handle_batch) if whole_batch else (lambda _p: None)
    with capture_logs() as logs:
        table = await run_persons(values, sent, metrics, size=2, batch=batch, attempts=3)
    assert table == {"a": b"1", "b": b"1"}
    letters = [DeadLetter.model_validate_json(v) for _, v in sent.on("lawful.dlq.v1")]
    assert [(d.offset, d.error_type) for d in letters] == [
        (1, "ValidationError"),
        (2, "ValidationError"),
        (3, "InvalidInputError"),
    ]
    assert base64.b64decode(letters[1].payload_base64) == secret_payload
    assert letters[0].topic == "p.lawful.person-events.v1"
    assert letters[0].partition == 2
    assert sample_value(metrics, "lawful_dlq_events_total", reason="undecodable") == 1
    assert sample_value(metrics, "lawful_dlq_events_total", reason="schema") == 1
    assert sample_value(metrics, "lawful_dlq_events_total", reason="invalid_input") == 1
    assert sample_value(metrics, "lawful_events_in_total", topic="lawful.person-events.v1") == 5
    dlq_logs = [entry for entry in logs if entry["event"] == "dead_letter"]
    assert len(dlq_logs) == 3
    assert "example.com" not in orjson.dumps(logs, default=str).decode()


async def test_retriable_failures_are_retried_then_dead_lettered() -> None:
    sent = Sent()
    metrics = PipelineMetrics()
    calls: dict[str, int] = {}

    async def flaky(origin: Origin, table: Any) -> None:
        key = (origin.value or b"").decode()
        calls[key] = calls.get(key, 0) + 1
        if key == "once" and calls[key] == 1:
            raise TransientError("redis away")
        if key == "always":
            raise TransientError("still away")
        table[key] = b"ok"

    table: dict[str, bytes] = {}
    await consume_batches(
        events([b"once", b"always"]),
        flaky,
        table,
        topic="t",
        agent="a",
        dead_letters=DeadLetters(sent, metrics),
        metrics=metrics,
        attempts=3,
        wait_max=0.01,
        bytes_keys=False,
    )
    assert table == {"once": b"ok"}
    assert calls == {"once": 2, "always": 3}
    assert sample_value(metrics, "lawful_dlq_events_total", reason="retries_exhausted") == 1
    assert sample_value(metrics, "lawful_retries_total", agent="a") == 3


class RecordingTable(dict[bytes, bytes]):
    """A table that logs its writes into a shared journal."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.journal.append(f"set {key.decode()}")
        super().__setitem__(key, value)


async def test_outputs_are_flushed_before_state_and_markers_follow_the_state() -> None:
    journal: list[str] = []

    async def send(topic: str, key: str | None, value: bytes) -> None:
        journal.append(f"send {topic}")

    async def flush() -> None:
        journal.append("flush")

    async def mark(partitions: set[int]) -> None:
        journal.append(f"mark {sorted(partitions)}")

    processor = PersonsProcessor(
        fake_step, send, lambda: Policy(RulesConfig(), ()), clock=lambda: NOW
    )
    table = RecordingTable(journal)
    values = [tick(p).model_dump_json().encode() for p in ("a", "b", "a")]
    await consume_batches(
        events(values, size=3),
        processor.handle,
        table,
        topic="lawful.person-events.v1",
        agent="persons",
        dead_letters=DeadLetters(send, PipelineMetrics()),
        metrics=PipelineMetrics(),
        attempts=1,
        wait_max=0.01,
        flush=flush,
        mark=mark,
    )
    assert table == {b"a": b"2", b"b": b"1"}  # the second "a" saw the first one's state
    assert journal == [
        "send lawful.permissions.v1",
        "send lawful.permissions.v1",
        "flush",
        "set a",
        "set b",
        "mark [2]",  # the markers go out with the state writes, at the next flush
        "flush",
    ]


async def run_persons(
    values: list[bytes],
    sent: Sent,
    metrics: PipelineMetrics,
    *,
    size: int,
    batch: Any,
    step: StepPerson = fake_step,
    attempts: int = 1,
    expand: Expand | None = None,
) -> dict[str, bytes]:
    """The persons agent over `values` in batches of `size`, `batch(processor)` as the batch
    handler (None: one event at a time); returns the table."""
    processor = PersonsProcessor(step, sent, lambda: Policy(RulesConfig(), ()), clock=lambda: NOW)
    table: dict[str, bytes] = {}
    await consume_batches(
        events(values, size=size),
        processor.handle,
        table,
        topic="lawful.person-events.v1",
        agent="persons",
        dead_letters=DeadLetters(sent, metrics),
        metrics=metrics,
        attempts=attempts,
        wait_max=0.01,
        bytes_keys=False,
        batch_handler=batch(processor),
        expand=expand,
    )
    return table


def poison_tick(person: str) -> bytes:
    message = PersonMessage(individual_id=person, kind="TICK", tick_at=POISON_AT)
    return message.model_dump_json().encode()


async def test_a_batch_steps_each_person_once_and_isolates_a_poison_message() -> None:
    steps: list[int] = []

    def counting(
        state: bytes | None, messages: Sequence[PersonMessage], now: datetime, policy: Policy
    ) -> PersonResult:
        steps.append(len(messages))
        return fake_step(state, messages, now, policy)

    sent, metrics = Sent(), PipelineMetrics()
    good = [tick(p).model_dump_json().encode() for p in ("a", "b", "a", "a")]
    values = [*good[:2], poison_tick("a"), *good[2:]]
    table = await run_persons(
        values, sent, metrics, size=5, batch=lambda p: p.handle_batch, step=counting
    )
    # a: one step of 4 messages fails, then 4 steps of one; b: one step of 1
    assert steps == [4, 1, 1, 1, 1, 1]
    assert table == {"a": b"3", "b": b"1"}  # a's three good messages still count
    letters = [DeadLetter.model_validate_json(v) for _, v in sent.on("lawful.dlq.v1")]
    assert [d.offset for d in letters] == [2]
    assert len(sent.on("lawful.permissions.v1")) == 2  # one snapshot per person


async def test_a_failing_batch_handler_falls_back_to_one_event_at_a_time() -> None:
    async def broken(origins: Sequence[Origin], table: Any) -> list[tuple[Origin, Exception]]:
        table["a"] = b"half-done"  # a partial write the fallback must not keep
        raise RuntimeError("bug")

    sent, metrics = Sent(), PipelineMetrics()
    values = [tick(p).model_dump_json().encode() for p in ("a", "b", "a")]
    with capture_logs() as logs:
        table = await run_persons(values, sent, metrics, size=3, batch=lambda _p: broken)
    assert table == {"a": b"2", "b": b"1"}
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["batch_handler_failed"]
    assert sent.on("lawful.dlq.v1") == []


@pytest.mark.parametrize("whole_batch", [False, True], ids=["per-event", "whole-batch"])
async def test_bundled_person_messages_count_and_fail_one_by_one(whole_batch: bool) -> None:
    """A PersonMessages value is handled as its messages: the same state and outputs as sent
    one by one, each counted, and a poison one dead-lettered alone at the bundle's offset."""
    good = [tick(p).model_dump_json().encode() for p in ("a", "b", "a", "b")]
    inner = [good[1], poison_tick("a"), good[2]]
    bundled = [good[0], encode_person_messages(inner), good[3]]
    single = [good[0], *inner, good[3]]
    batch = (lambda p: p.handle_batch) if whole_batch else (lambda _p: None)
    runs = []
    for values, expand in ((bundled, expand_person_messages), (single, None)):
        sent, metrics = Sent(), PipelineMetrics()
        table = await run_persons(values, sent, metrics, size=2, batch=batch, expand=expand)
        letters = [DeadLetter.model_validate_json(v) for _, v in sent.on("lawful.dlq.v1")]
        counted = sample_value(metrics, "lawful_events_in_total", topic="lawful.person-events.v1")
        outputs = [m for m in sent.messages if m[0] != "lawful.dlq.v1"]
        runs.append((table, letters, counted, outputs))
    (table, letters, counted, outputs), (table_1, letters_1, counted_1, outputs_1) = runs
    assert table == table_1 == {"a": b"2", "b": b"2"}
    assert counted == counted_1 == 5
    assert outputs == outputs_1
    assert [(d.offset, d.error_type) for d in letters] == [(1, "InvalidInputError")]
    assert base64.b64decode(letters[0].payload_base64) == poison_tick("a")
    assert [d.offset for d in letters_1] == [2]


async def test_a_batch_is_handled_in_rounds_of_at_most_round_max_messages() -> None:
    """take_events counts Kafka messages; a bundle may carry many person messages: each round
    of at most `round_max` is handled and flushed on its own, in order."""
    rounds: list[list[str]] = []
    flushes: list[int] = []

    async def handle_batch(origins: Sequence[Origin], table: Any) -> list[Any]:
        rounds.append([orjson.loads(o.value or b"")["individual_id"] for o in origins])
        return []

    async def flush() -> None:
        flushes.append(len(rounds))

    people = ["a", "b", "c", "d", "e"]
    bundle = encode_person_messages([tick(p).model_dump_json().encode() for p in people[:4]])
    metrics = PipelineMetrics()
    await consume_batches(
        events([bundle, tick("e").model_dump_json().encode()], size=2),
        fake_handle,
        {},
        topic="lawful.person-events.v1",
        agent="persons",
        dead_letters=DeadLetters(Sent(), metrics),
        metrics=metrics,
        attempts=1,
        wait_max=0.01,
        flush=flush,
        batch_handler=handle_batch,
        expand=expand_person_messages,
        round_max=2,
    )
    assert rounds == [["a", "b"], ["c", "d"], ["e"]]
    assert flushes == [1, 2, 3]  # a flush after every round
    assert sample_value(metrics, "lawful_events_in_total", topic="lawful.person-events.v1") == 5


async def fake_handle(origin: Origin, table: Any) -> None:
    raise AssertionError("the batch handler handles every round")
