"""Guard of the Faust delivery patch: the copied private method is still the installed one, and
inline delivery keeps `wait_first`'s results, suspensions and errors."""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version
from typing import Any

import pytest
from faust.transport import consumer as faust_consumer

from workers.pipeline import delivery

pytestmark = pytest.mark.component

PATCHED_FOR = "0.15.3"


def test_the_patch_was_copied_from_the_installed_faust() -> None:
    # On failure: faust-streaming was upgraded. Re-copy `_drain_messages` into
    # workers/pipeline/delivery.py, keep the one changed statement, update the hash and versions.
    assert version("faust-streaming") == PATCHED_FOR
    assert delivery.original_source_sha256() == delivery.ORIGINAL_SOURCE_SHA256
    source = inspect.getsource(delivery.ORIGINAL_DRAIN_MESSAGES)
    assert "await self.wait_first(\n" in source
    assert "callback(message), self.suspend_flow.wait()" in source


def test_apply_installs_the_copy_once_and_refuses_another_faust(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        faust_consumer.Consumer, "_drain_messages", delivery.ORIGINAL_DRAIN_MESSAGES
    )
    monkeypatch.setattr(delivery, "ORIGINAL_SOURCE_SHA256", "0" * 64)
    with pytest.raises(delivery.DeliveryPatchMismatchError):
        delivery.apply()
    assert faust_consumer.Consumer._drain_messages is delivery.ORIGINAL_DRAIN_MESSAGES
    monkeypatch.setattr(delivery, "ORIGINAL_SOURCE_SHA256", delivery.original_source_sha256())
    delivery.apply()
    delivery.apply()
    assert faust_consumer.Consumer._drain_messages is delivery._drain_messages


class FakeConsumer:
    """`callback`, `wait_first` and `suspend_flow` as Faust's consumer has them."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback
        self.suspend_flow = asyncio.Event()
        self.waited = 0

    async def wait_first(self, *coros: Any) -> None:
        self.waited += 1
        tasks = [asyncio.ensure_future(c) for c in coros]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()


async def test_a_delivery_that_does_not_suspend_runs_inline() -> None:
    seen: list[str] = []

    async def callback(message: str) -> None:
        seen.append(message)

    consumer = FakeConsumer(callback)
    await delivery.deliver(consumer, "m1")
    assert seen == ["m1"]
    assert consumer.waited == 0


async def test_a_delivery_that_suspends_finishes_through_wait_first() -> None:
    gate = asyncio.Event()
    seen: list[str] = []

    async def callback(message: str) -> None:
        await gate.wait()  # a full stream buffer
        seen.append(message)

    consumer = FakeConsumer(callback)
    task = asyncio.ensure_future(delivery.deliver(consumer, "m2"))
    await asyncio.sleep(0.01)
    assert seen == []
    gate.set()
    await asyncio.wait_for(task, 1)
    assert seen == ["m2"]
    assert consumer.waited == 1


async def test_errors_of_a_suspended_delivery_reach_the_drainer() -> None:
    async def callback(message: str) -> None:
        await asyncio.sleep(0)
        raise ValueError(message)

    with pytest.raises(ValueError, match="m3"):
        await delivery.deliver(FakeConsumer(callback), "m3")
