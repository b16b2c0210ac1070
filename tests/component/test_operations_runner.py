"""The operations runner on fakeredis with fake executors: outcomes and counts on the operation's
hash, claimed-but-unfinished operations run again, a stopped runner gives its operation back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping

import fakeredis
import pytest
import redis.exceptions

from workers.operations.progress import OperationProgress
from workers.operations.queue import OperationQueue, processing_key, queue_key
from workers.operations.runner import MAX_ERROR, OperationsRunner

pytestmark = pytest.mark.component

PREFIX = "t:"


@pytest.fixture
async def queue() -> AsyncIterator[OperationQueue]:
    client = fakeredis.FakeAsyncRedis()
    try:
        yield OperationQueue(client, PREFIX)
    finally:
        await client.aclose()


async def enqueue(queue: OperationQueue, kind: str = "backfill", scope: str = "") -> str:
    operation_id = uuid.uuid4().hex
    fields = {"id": operation_id, "kind": kind, "status": "queued", "scope": scope}
    await queue.enqueue(kind, fields)
    return operation_id


async def reads_and_produces(operation: Mapping[str, str], progress: OperationProgress) -> None:
    for _ in operation["scope"].split(","):
        progress.read(10)
        progress.advance(10)


async def fails(operation: Mapping[str, str], progress: OperationProgress) -> None:
    progress.read(3)
    raise RuntimeError("x" * (2 * MAX_ERROR))


async def test_done_with_counts_and_failed_with_an_error(queue: OperationQueue) -> None:
    good = await enqueue(queue, scope="Contact,Individual")
    bad = await enqueue(queue, kind="replay")
    runner = OperationsRunner(queue, {"backfill": reads_and_produces, "replay": fails})
    assert await queue.claim("backfill") == good
    assert await runner.execute("backfill", good) == "done"
    done = await queue.read(good)
    assert (done["status"], done["records_read"], done["events_produced"]) == ("done", "20", "20")
    assert done["attempts"] == "1"
    assert done["started_at"] <= done["finished_at"]
    assert "error" not in done

    assert await queue.claim("replay") == bad
    assert await runner.execute("replay", bad) == "failed"
    failed = await queue.read(bad)
    assert (failed["status"], failed["records_read"]) == ("failed", "3")
    assert failed["error"].startswith("RuntimeError: xxx")
    assert len(failed["error"]) == MAX_ERROR
    client = queue._client
    assert await client.llen(processing_key(PREFIX, "backfill")) == 0
    assert await client.llen(processing_key(PREFIX, "replay")) == 0


async def test_an_operation_claimed_by_a_dead_runner_runs_again_first(
    queue: OperationQueue,
) -> None:
    abandoned = await enqueue(queue, scope="Contact")
    later = await enqueue(queue, scope="Contact")
    assert await queue.claim("backfill") == abandoned
    await queue.start(abandoned, {"started_at": "2026-11-29T10:00:00+00:00"})  # then kill -9

    ran: list[str] = []

    async def record(operation: Mapping[str, str], progress: OperationProgress) -> None:
        ran.append(operation["id"])
        await reads_and_produces(operation, progress)

    runner = OperationsRunner(queue, {"backfill": record}, poll_interval=0.05)
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(200):  # up to 10 s
            if (await queue.read(later)).get("status") == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert ran == [abandoned, later]
    again = await queue.read(abandoned)
    assert (again["status"], again["attempts"]) == ("done", "2")
    assert runner.metrics.requeued.labels("backfill")._value.get() == 1


async def test_a_stopped_runner_gives_the_running_operation_back(queue: OperationQueue) -> None:
    operation_id = await enqueue(queue)
    started = asyncio.Event()

    async def forever(operation: Mapping[str, str], progress: OperationProgress) -> None:
        progress.read(5)
        started.set()
        await asyncio.Event().wait()

    runner = OperationsRunner(queue, {"backfill": forever})
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stopped = await queue.read(operation_id)
    assert (stopped["status"], stopped["records_read"]) == ("queued", "5")
    client = queue._client
    assert await client.lrange(queue_key(PREFIX, "backfill"), 0, -1) == [operation_id.encode()]
    assert await client.llen(processing_key(PREFIX, "backfill")) == 0


async def test_an_id_without_its_hash_is_dropped(queue: OperationQueue) -> None:
    await queue._client.rpush(queue_key(PREFIX, "backfill"), "gone")
    runner = OperationsRunner(queue, {"backfill": reads_and_produces})
    assert await queue.claim("backfill") == "gone"
    assert await runner.execute("backfill", "gone") == "missing"
    assert await queue._client.llen(processing_key(PREFIX, "backfill")) == 0


async def test_a_redis_failure_while_polling_does_not_stop_the_runner(
    queue: OperationQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    operation_id = await enqueue(queue, scope="Contact")
    real_claim = queue.claim
    failures = [ConnectionError("redis went away")]

    async def flaky_claim(kind: str) -> str | None:
        if failures:
            raise redis.exceptions.ConnectionError(str(failures.pop()))
        return await real_claim(kind)

    monkeypatch.setattr(queue, "claim", flaky_claim)
    monkeypatch.setattr("workers.operations.runner.REDIS_RETRY_SECONDS", 0.01)
    runner = OperationsRunner(queue, {"backfill": reads_and_produces}, poll_interval=0.01)
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(200):
            if (await queue.read(operation_id)).get("status") == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await queue.read(operation_id))["status"] == "done"
    assert not failures
