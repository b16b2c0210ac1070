"""Deferred acks: Faust's take_events acks go nowhere; lawful acks each event once its round has
settled, and handles the next batch meanwhile (workers/pipeline/acks.py, consume.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fixtures.faust_events import Event, Message
from workers.pipeline.acks import TAKE_EVENTS_SHA256, defer_acks, take_events_source_sha256
from workers.pipeline.consume import consume_batches
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.pipeline import Pipeline

pytestmark = pytest.mark.component


def test_faust_take_events_is_the_one_whose_acks_are_deferred() -> None:
    """Fails on a faust upgrade: check that take_events still acks through `self.ack(event)`
    after the consumer resumes, then update TAKE_EVENTS_SHA256."""
    assert take_events_source_sha256() == TAKE_EVENTS_SHA256


class FakeStream:
    def __init__(self) -> None:
        self.acked: list[int] = []

    async def ack(self, event: Any) -> bool:
        self.acked.append(event.message.offset)
        return True


async def test_defer_acks_silences_the_streams_own_acks_and_returns_the_real_one() -> None:
    stream = FakeStream()
    real = defer_acks(stream)
    await stream.ack(Event(Message("t", 0, 1, None, b"")))  # what take_events calls
    assert stream.acked == []
    await real(Event(Message("t", 0, 2, None, b"")))
    assert stream.acked == [2]


class Table(dict[bytes, bytes]):
    def __init__(self) -> None:
        super().__init__()
        self.data = self
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: "p.changelog")


class Outbox:
    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    async def send(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        self.journal.append(f"state {value!r}")


async def test_a_batch_is_acked_once_settled_and_the_next_one_is_handled_meanwhile() -> None:
    journal: list[str] = []
    stream = FakeStream()
    table = Table()
    pipeline = SimpleNamespace(outbox=Outbox(journal))
    released = asyncio.Event()

    async def handler(origin: Origin, overlay: Any) -> None:
        journal.append(f"handle {origin.offset}")
        overlay["k"] = str(origin.offset).encode()
        if origin.offset == 1:
            released.set()  # batch 2 is handled: batch 1's outputs may be acknowledged now

    async def flush() -> None:
        journal.append(f"flush, acked {stream.acked}")
        if not released.is_set():
            await released.wait()

    async def store(changes: list[tuple[Any, bytes | None]]) -> None:
        await Pipeline.store(pipeline, table, changes)  # type: ignore[arg-type]

    async def batches() -> AsyncIterator[list[Event]]:
        for offset in (0, 1):
            yield [Event(Message("p.t", 0, offset, b"k", b"v"))]
            journal.append("next batch")

    metrics = PipelineMetrics()
    consuming = consume_batches(
        batches(),
        handler,
        table,
        topic="t",
        agent="a",
        dead_letters=DeadLetters(_no_dead_letters, metrics),
        metrics=metrics,
        attempts=1,
        wait_max=0.01,
        flush=flush,
        store=store,
        ack=defer_acks(stream),
    )
    await asyncio.wait_for(consuming, 5)  # acked only at the next batch, it would wait forever
    assert journal == [
        "handle 0",
        "flush, acked []",  # batch 1's outputs, acknowledged only after batch 2 was handled
        "next batch",
        "handle 1",  # while batch 1 settles
        "state b'0'",  # batch 1's state, behind its outputs
        "flush, acked []",
        "flush, acked [0]",  # batch 1 acked once settled; batch 2's outputs
        "state b'1'",
        "flush, acked [0]",
        "next batch",
    ]
    assert stream.acked == [0, 1]  # every event, once settled, in order
    assert table == {b"k": b"1"}


async def _no_dead_letters(topic: str, key: str | None, value: bytes) -> None:
    raise AssertionError("nothing is poison here")
