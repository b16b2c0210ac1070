"""The backfill collects less often while it runs and gives the process its threshold back."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka.producer.message_accumulator import (  # type: ignore[import-untyped]
    BatchBuilder,
)

from workers.backfill.gc_pause import GC_THRESHOLD, fewer_collections
from workers.backfill.run import backfill

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def stock_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_raised_while_running_and_restored_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (GC_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_runs_restore_once_the_last_ends() -> None:
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == GC_THRESHOLD  # the second is still running
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_after_a_failure() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("broker gone")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_or_disabled_collection_is_left_alone() -> None:
    gc.set_threshold(100_000, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 100_000
    gc.set_threshold(0)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


class OnePageRest:
    """Answers describe and the first query; notes the gc threshold while being read."""

    def __init__(self) -> None:
        self.thresholds: list[int] = []

    async def describe(self, sobject: str) -> dict[str, Any]:
        return {"fields": [{"name": "Id", "type": "id"}]}

    async def _call(self, op: str, call: Any) -> dict[str, Any]:
        self.thresholds.append(gc.get_threshold()[0])
        return {"totalSize": 1, "done": True, "records": [{"Id": "003000000000001AAA"}]}


class AckingProducer:
    def __init__(self) -> None:
        self.batches: list[Any] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> Any:
        return BatchBuilder(16384, 0)

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        self.batches.append(batch)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_backfill_reads_with_fewer_collections() -> None:
    rest, producer = OnePageRest(), AckingProducer()
    counts = await backfill(rest, producer, ["Contact", "Lead"])  # type: ignore[arg-type]
    assert counts == {"Contact": 1, "Lead": 1}
    assert rest.thresholds == [GC_THRESHOLD, GC_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)
