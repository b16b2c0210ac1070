"""A batch's table writes through `Pipeline.store`: the local store and one raw changelog record
per key on the outbox, deletes as tombstones, after the outputs (consume_batches' order)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from workers.pipeline.consume import consume_batches
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.pipeline import Pipeline

pytestmark = pytest.mark.component


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class Event:
    message: Message


class FakeOutbox:
    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    async def send(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        self.journal.append(f"{topic} {key!r}={value!r}")


class FakeTable(dict[bytes, bytes]):
    """What `Pipeline.store` uses of a Faust table: `data`, `changelog_topic`."""

    def __init__(self, initial: dict[bytes, bytes]) -> None:
        super().__init__(initial)
        self.data = self
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: "p.records-changelog")


async def batches(values: list[bytes]) -> AsyncIterator[list[Event]]:
    yield [Event(Message("p.t", 0, n, b"k", v)) for n, v in enumerate(values)]


async def test_table_writes_go_to_the_store_and_the_changelog_after_the_outputs() -> None:
    journal: list[str] = []
    pipeline = SimpleNamespace(outbox=FakeOutbox(journal))
    table = FakeTable({b"gone": b"old", b"kept": b"old"})

    async def handler(origin: Origin, overlay: Any) -> None:
        command, key = (origin.value or b"").decode().split(" ")
        if command == "set":
            overlay[key] = f"v{origin.offset}".encode()
        else:
            overlay.pop(key, None)

    async def flush() -> None:
        journal.append("flush")

    async def store(changes: list[tuple[Any, bytes | None]]) -> None:
        await Pipeline.store(pipeline, table, changes)  # type: ignore[arg-type]

    async def dead_letter(topic: str, key: str | None, value: bytes) -> None:
        journal.append(f"dead letter {topic}")

    metrics = PipelineMetrics()
    await consume_batches(
        batches([b"set a", b"del gone", b"set a", b"del never", b"set b"]),
        handler,
        table,
        topic="t",
        agent="a",
        dead_letters=DeadLetters(dead_letter, metrics),
        metrics=metrics,
        attempts=1,
        wait_max=0.01,
        flush=flush,
        store=store,
    )
    assert dict(table) == {b"kept": b"old", b"a": b"v2", b"b": b"v4"}
    assert journal == [
        "flush",
        "p.records-changelog b'a'=b'v2'",
        "p.records-changelog b'gone'=None",
        "p.records-changelog b'b'=b'v4'",
        "flush",  # the state writes and the (here empty) changelog markers
    ]
