"""The consumer-lag gauge: high watermark minus the last offset an agent handled, per partition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fixtures.faust_events import Event, Message
from workers.pipeline.consume import consume_batches
from workers.pipeline.dlq import DeadLetters, Origin
from workers.pipeline.metrics import PipelineMetrics

pytestmark = pytest.mark.component

TOPIC = "p.lawful.sf-cdc.v1"


async def batches(rows: list[list[tuple[int, int]]]) -> AsyncIterator[list[Event]]:
    for batch in rows:
        yield [Event(Message(TOPIC, p, o, b"k", b"v")) for p, o in batch]


def lag(metrics: PipelineMetrics, partition: int) -> float | None:
    labels = {"topic": "lawful.sf-cdc.v1", "partition": str(partition)}
    return metrics.registry.get_sample_value("lawful_consumer_lag_events", labels)


async def test_lag_is_the_high_watermark_minus_the_next_offset_to_handle() -> None:
    metrics = PipelineMetrics()
    ends = {(TOPIC, 0): 10, (TOPIC, 1): 3}
    metrics.lag.highwaters = lambda: dict(ends)

    async def handler(origin: Origin, table: Any) -> None:
        return None

    rows = [[(0, 0), (0, 1), (1, 0)], [(0, 2), (0, 3), (1, 1), (1, 2)]]
    await consume_batches(
        batches(rows),
        handler,
        {},
        topic="lawful.sf-cdc.v1",
        agent="records",
        dead_letters=DeadLetters(handler, metrics),  # type: ignore[arg-type]
        metrics=metrics,
        attempts=1,
        wait_max=0.01,
    )
    assert lag(metrics, 0) == 6  # offsets 4..9 still to come
    assert lag(metrics, 1) == 0
    assert lag(metrics, 2) is None  # never handled
    ends[(TOPIC, 1)] = 2  # an under-reported end (Tansu) never reads negative
    assert lag(metrics, 1) == 0
    del ends[(TOPIC, 0)]  # partition no longer assigned: no sample
    assert lag(metrics, 0) is None
