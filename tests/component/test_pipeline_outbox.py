"""The worker's outbox with a fake Faust/aiokafka producer: partitions, order, acks, failures."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, NamedTuple

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]

from workers.pipeline.bundles import PersonBundles, expand_person_messages
from workers.pipeline.dlq import Origin
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.outbox import Outbox
from workers.pipeline.pipeline import Pipeline

pytestmark = pytest.mark.component


class TP(NamedTuple):
    topic: str
    partition: int


class FakeBatch:
    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: list[tuple[bytes | None, bytes]] = []
        self.closed = False

    def append(self, *, key: bytes | None, value: bytes, timestamp: Any) -> object | None:
        assert not self.closed, "appended to a closed batch"
        if len(self.rows) >= self.size:
            return None
        self.rows.append((key, value))
        return object()

    def record_count(self) -> int:
        return len(self.rows)

    def close(self) -> None:
        self.closed = True


class FakeClient:
    def __init__(self, batch_size: int, fail: bool) -> None:
        self.batch_size = batch_size
        self.fail = fail
        self.sent: list[tuple[str, int, list[tuple[bytes | None, bytes]]]] = []
        self.metadata: list[str] = []

    async def partitions_for(self, topic: str) -> set[int]:
        self.metadata.append(topic)
        return {0, 1}

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_size)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        assert batch.closed, "an open batch lingers in aiokafka before it goes out"
        self.sent.append((topic, partition, batch.rows))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            future.set_exception(RuntimeError("broker said no"))
        else:
            future.set_result(None)
        return future


class FakeProducer:
    def __init__(self, batch_size: int = 100, fail: bool = False) -> None:
        self.client = FakeClient(batch_size, fail)
        self.hashed: list[bytes | None] = []

    def _ensure_producer(self) -> FakeClient:
        return self.client

    def key_partition(self, topic: str, key: bytes | None) -> TP:
        self.hashed.append(key)
        return TP(topic, len(key or b"") % 2)


async def test_outputs_are_grouped_by_partition_in_order_and_sent_at_flush() -> None:
    producer = FakeProducer()
    outbox = Outbox(lambda: producer)
    for key, value in [(b"a", b"1"), (b"bb", b"2"), (b"a", b"3"), (b"bb", b"4")]:
        await outbox.send("t", key, value)
    await outbox.send("u", b"a", b"5")
    assert producer.client.sent == []
    assert outbox.pending == 5
    await outbox.flush()
    assert producer.client.sent == [
        ("t", 1, [(b"a", b"1"), (b"a", b"3")]),
        ("t", 0, [(b"bb", b"2"), (b"bb", b"4")]),
        ("u", 1, [(b"a", b"5")]),
    ]
    assert producer.hashed == [b"a", b"bb", b"a"]  # one hash per topic and key
    assert producer.client.metadata == ["t", "u"]
    assert outbox.pending == 0


async def test_a_full_batch_starts_another_one() -> None:
    producer = FakeProducer(batch_size=2)
    outbox = Outbox(lambda: producer)
    for n in range(5):
        await outbox.send("t", b"k", str(n).encode())
    await outbox.flush()
    assert [len(rows) for _, _, rows in producer.client.sent] == [2, 2, 1]
    values = [value for _, _, rows in producer.client.sent for _, value in rows]
    assert values == [b"0", b"1", b"2", b"3", b"4"]


async def test_a_message_sent_alone_is_a_batch_of_its_own_behind_the_ones_before() -> None:
    """A changelog marker: Tansu reports a partition's end as its last batch's base offset + 1,
    so the last batch must hold one record for the reported end to cover every state write."""
    producer = FakeProducer()
    outbox = Outbox(lambda: producer)
    await outbox.send("t", b"a", b"1")
    await outbox.send("t", b"a", b"2")
    outbox.send_alone("t", 1, b"marker", b"")
    outbox.send_alone("t", 0, b"marker", b"")
    await outbox.flush()
    assert producer.client.sent == [
        ("t", 1, [(b"a", b"1"), (b"a", b"2")]),
        ("t", 1, [(b"marker", b"")]),
        ("t", 0, [(b"marker", b"")]),
    ]
    assert outbox.pending == 0


async def test_a_failed_delivery_fails_the_flush() -> None:
    outbox = Outbox(lambda: FakeProducer(fail=True))
    await outbox.send("t", b"k", b"v")
    with pytest.raises(RuntimeError, match="broker said no"):
        await outbox.flush()


async def test_a_second_agents_flush_waits_for_its_outputs_taken_by_the_first() -> None:
    """Agent A's flush takes B's kept outputs too; B's own flush must not return before they are
    acknowledged (B would otherwise commit its batch with its outputs still in flight)."""
    producer = FakeProducer()
    acks: list[asyncio.Future[None]] = []

    async def slow_send_batch(batch: FakeBatch, topic: str, *, partition: int) -> Any:
        producer.client.sent.append((topic, partition, batch.rows))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acks.append(ack)
        return ack

    producer.client.send_batch = slow_send_batch  # type: ignore[method-assign]
    outbox = Outbox(lambda: producer)
    await outbox.send("t", b"a", b"from A")
    await outbox.send("t", b"bb", b"from B")
    first = asyncio.create_task(outbox.flush())  # agent A: takes both messages
    await asyncio.sleep(0)
    second = asyncio.create_task(outbox.flush())  # agent B: nothing left pending
    await asyncio.sleep(0.01)
    assert acks, "A's flush sent the batches"
    assert not second.done(), "B returned before its output was acknowledged"
    for ack in acks:
        ack.set_result(None)
    await asyncio.wait_for(asyncio.gather(first, second), 1)


async def test_with_the_default_partitioner_a_key_is_hashed_once_for_every_topic() -> None:
    producer = FakeProducer()
    outbox = Outbox(lambda: producer, default_partitioner=True)
    keys = [f"0PK{n:012d}AAA".encode() for n in range(40)]
    for topic in ("t", "u"):
        for key in keys:
            await outbox.send(topic, key, b"v")
    await outbox.flush()
    expected = {key: DefaultPartitioner()(key, [0, 1], [0, 1]) for key in keys}
    for _topic, partition, rows in producer.client.sent:
        assert {expected[key or b""] for key, _ in rows} == {partition}
    assert {p for _, p, _ in producer.client.sent} == {0, 1}
    assert producer.hashed == [keys[0], keys[0]]  # only the first message of each topic asks


async def test_person_messages_go_out_bundled_per_partition_at_the_flush() -> None:
    """`Pipeline.send` keeps person messages until `flush_outputs`, then produces one
    PersonMessages value per partition (the key's partition), in order; other topics as sent."""
    producer = FakeProducer()
    metrics = PipelineMetrics()
    names = {"lawful.person-events.v1": "p.pe", "lawful.audit.v1": "p.audit"}
    pipeline = SimpleNamespace(
        outbox=Outbox(lambda: producer),
        bundles=PersonBundles(),
        topic_names=names,
        _unsent_counts=dict.fromkeys(names, 0),
        _sent={n: metrics.events_out.labels(topic=n) for n in names},
        app=SimpleNamespace(producer=SimpleNamespace(flush=_no_wait)),
    )
    sends = [("a", b"1"), ("bb", b"2"), ("a", b"3"), ("ccc", b"4")]
    for person, tag in sends:
        value = b'{"individual_id":"%s","kind":"TICK","n":%s}' % (person.encode(), tag)
        await Pipeline.send(pipeline, "lawful.person-events.v1", person, value)  # type: ignore[arg-type]
    await Pipeline.send(pipeline, "lawful.audit.v1", "a", b"audit")  # type: ignore[arg-type]
    assert producer.client.sent == []
    await Pipeline.flush_outputs(pipeline)  # type: ignore[arg-type]
    by_partition = {
        (topic, partition): [o for key, value in rows for o in _expanded(key, value)]
        for topic, partition, rows in producer.client.sent
    }
    assert by_partition == {
        ("p.pe", 1): [(b"a", 1), (b"a", 3), (b"ccc", 4)],  # FakeProducer: len(key) % 2
        ("p.pe", 0): [(b"bb", 2)],
        ("p.audit", 1): [(None, None)],
    }
    assert len(producer.client.sent[0][2]) == 1  # one Kafka message for three person messages
    out = metrics.registry.get_sample_value(
        "lawful_events_out_total", {"topic": "lawful.person-events.v1"}
    )
    assert out == 4  # counted per person message


async def _no_wait() -> None:
    return None


def _expanded(key: bytes | None, value: bytes | None) -> list[tuple[bytes | None, int | None]]:
    if value == b"audit":
        return [(None, None)]
    origins = expand_person_messages(Origin("p.pe", 0, 0, key, value))
    return [(o.key, orjson.loads(o.value or b"")["n"]) for o in origins]
