"""A batch's table writes through `Pipeline.store`: the local store and one raw changelog record
per key on the outbox, deletes as tombstones, after the outputs (consume_batches' order)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fixtures.faust_events import Event, Message
from workers.pipeline.consume import consume_batches
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.pipeline import Pipeline

pytestmark = pytest.mark.component


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


async def test_a_round_settles_while_the_next_one_is_handled_and_before_the_next_batch() -> None:
    """Rounds of one batch: round 2 is handled while round 1's outputs are still in flight, and
    reads round 1's changes before they reach the table; each round's state goes out only after
    its outputs are acknowledged, and the next batch starts once every round has settled."""
    journal: list[str] = []
    pipeline = SimpleNamespace(outbox=FakeOutbox(journal))
    table = FakeTable({b"n": b"0"})
    acked = asyncio.Event()

    async def handler(origin: Origin, overlay: Any) -> None:
        value = (origin.value or b"").decode()
        journal.append(f"handle {value} sees n={overlay['n'].decode()}")
        overlay["n"] = str(int(overlay["n"]) + 1).encode()
        if value == "e1":
            acked.set()  # round 2 is handled: round 1's outputs may now be acknowledged

    async def flush() -> None:
        journal.append("flush")
        if not acked.is_set():  # the first flush waits for its acks until round 2 is handled
            await acked.wait()

    async def store(changes: list[tuple[Any, bytes | None]]) -> None:
        await Pipeline.store(pipeline, table, changes)  # type: ignore[arg-type]

    async def two_batches() -> AsyncIterator[list[Event]]:
        yield [Event(Message("p.t", 0, n, b"k", f"e{n}".encode())) for n in range(2)]
        journal.append("next batch")
        yield [Event(Message("p.t", 0, 2, b"k", b"e2"))]

    metrics = PipelineMetrics()
    consuming = consume_batches(
        two_batches(),
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
        round_max=1,
    )
    await asyncio.wait_for(consuming, 5)  # settled one round at a time, it would wait forever
    assert table[b"n"] == b"3"
    assert journal == [
        "handle e0 sees n=0",
        "flush",  # round 1's outputs, acknowledged only after round 2 was handled
        "handle e1 sees n=1",  # round 1's change, not yet in the table
        "p.records-changelog b'n'=b'1'",  # round 1's state, behind its outputs
        "flush",
        "flush",  # round 2's outputs
        "p.records-changelog b'n'=b'2'",
        "flush",
        "next batch",  # only once both rounds have settled
        "handle e2 sees n=2",
        "flush",
        "p.records-changelog b'n'=b'3'",
        "flush",
    ]


async def _no_dead_letters(topic: str, key: str | None, value: bytes) -> None:
    raise AssertionError("nothing is poison here")
