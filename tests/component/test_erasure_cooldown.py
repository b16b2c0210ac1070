"""Blocked requests on fakeredis: a time-bound failure schedules an automatic resume that survives
a crash; a refusal stays blocked for an operator; one driver per request at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest
import redis.asyncio
from pydantic import BaseModel

from handlers.erasure_graph import ActionPlan, RecordRef
from schemas.config import RulesConfig
from schemas.errors import LawfulError
from schemas.policy import Policy
from workers.erasure.cooldown import RESUMED, RequestLocks, cools_down, resume_due, scan_interval
from workers.erasure.executor import Executor, ExecutorConfig, StepFailedError
from workers.erasure.policy import load_policy
from workers.erasure.store import ErasureRequest, RequestStore
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog
from workers.salesforce.errors import (
    ApiBudgetExhaustedError,
    ApiLimitExceededError,
    SalesforceAuthError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)

pytestmark = pytest.mark.component
T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PLAN = ActionPlan(deletes=(RecordRef(sobject="Contact", record_id="0035g000000001AAA"),))


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    yield fake
    await fake.aclose()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, BaseModel]] = []

    async def send(self, topic: str, key: str, value: BaseModel) -> None:
        self.sent.append((topic, key, value))

    def topics(self) -> list[str]:
        return [t for t, _, _ in self.sent]


class PurgeSalesforce:
    """Only the recycle-bin purge; fails with `error` while it is set."""

    def __init__(self, error: LawfulError | None = None) -> None:
        self.calls = 0
        self.error = error
        self.rechecks = 0
        self.purged: list[str] = []

    def recheck_budget(self) -> None:
        self.rechecks += 1

    async def bulk_hard_delete(self, sobject: str, ids: list[str]) -> list[tuple[str, str]]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        self.purged += ids
        return []


def executor(
    client: redis.asyncio.Redis, sf: PurgeSalesforce, recorder: Recorder, retry_after: float
) -> Executor:
    return Executor(
        sf=sf,  # type: ignore[arg-type]
        store=RequestStore(client, "t:"),
        tombstones=TombstoneLog(client, "t:", None),
        suppression=SuppressionList(client, "t:", b"k" * 32),
        producer=recorder,
        policy=load_policy(),
        engine=Policy(RulesConfig(), ()),
        config=ExecutorConfig(
            recipients=("broker-1",),
            purge_recycle_bin=True,
            max_attempts=2,
            retry_wait_max=0.01,
            blocked_retry_after=retry_after,
        ),
    )


async def at_purging(store: RequestStore, request_id: str) -> None:
    request = ErasureRequest(request_id=request_id, individual_id="0PK5g0000000001", received_at=T0)
    for state in ("planned", "masking", "deleting", "purging"):
        request = request.moved(state)
    await store.put(request.model_copy(update={"plan": PLAN, "executed_at": T0}))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ApiBudgetExhaustedError(90, 90, 100), True),
        (ApiLimitExceededError("403 REQUEST_LIMIT_EXCEEDED"), True),
        (SalesforceUnavailableError("503"), True),
        (SalesforceRequestError(403, "INSUFFICIENT_ACCESS", "no"), False),
        (StepFailedError("delete refused: FIELD_CUSTOM_VALIDATION_EXCEPTION"), False),
        (SalesforceAuthError("invalid_grant", "user not approved"), False),
    ],
)
def test_which_failures_cool_down(error: LawfulError, expected: bool) -> None:
    assert cools_down(error) is expected


async def test_budget_block_resumes_after_the_cool_down_even_after_a_crash(
    client: redis.asyncio.Redis,
) -> None:
    recorder = Recorder()
    failing = PurgeSalesforce(ApiBudgetExhaustedError(90, 90, 100))
    first = executor(client, failing, recorder, retry_after=600)
    await at_purging(first.store, "er-1")
    blocked = await first.run("er-1")
    assert blocked is not None
    assert blocked.state == "blocked"
    assert blocked.retry_at is not None
    assert blocked.reason is not None
    assert "budget" in blocked.reason
    assert "automatic retry at" in blocked.reason
    assert failing.calls == 1  # a used-up budget is not retried in a loop
    assert "lawful.alerts.v1" in recorder.topics()
    # the process dies during the cool-down; the next one finds the request in Redis
    healthy = PurgeSalesforce()
    second = executor(client, healthy, recorder, retry_after=600)
    early = blocked.retry_at - timedelta(seconds=1)
    assert await resume_due(second, early) == []
    assert (await second.store.get("er-1")).state == "blocked"  # type: ignore[union-attr]
    late = blocked.retry_at + timedelta(seconds=1)
    assert await resume_due(second, late) == ["er-1"]
    assert healthy.rechecks == 1
    assert healthy.purged == ["0035g000000001AAA"]
    done = await second.store.get("er-1")
    assert done is not None
    assert done.state == "done"
    assert done.retry_at is None
    states = [t.state for t in done.history]
    resumed = done.history[states.index("blocked") + 1]
    assert (resumed.state, resumed.reason) == ("purging", RESUMED)
    assert await resume_due(second, late + timedelta(days=1)) == []  # idempotent
    assert recorder.topics().count("lawful.tombstones.v1") == 1
    assert recorder.topics().count("lawful.erasure-notifications.v1") == 1


async def test_refusal_stays_blocked_until_an_operator(client: redis.asyncio.Redis) -> None:
    refused = PurgeSalesforce(SalesforceRequestError(403, "INSUFFICIENT_ACCESS", "no"))
    ex = executor(client, refused, Recorder(), retry_after=0.01)
    await at_purging(ex.store, "er-2")
    blocked = await ex.run("er-2")
    assert blocked is not None
    assert blocked.state == "blocked"
    assert blocked.retry_at is None
    assert await resume_due(ex, T0 + timedelta(days=365)) == []
    # the operator's resume (`lawful erase resume`) clears it the same way
    await ex.store.put(blocked.resumed("resumed by operator"))
    assert await ex.store.due_retries((T0 + timedelta(days=365)).timestamp()) == []


async def test_operator_resume_removes_the_scheduled_retry(client: redis.asyncio.Redis) -> None:
    ex = executor(client, PurgeSalesforce(SalesforceUnavailableError("503")), Recorder(), 600)
    await at_purging(ex.store, "er-3")
    blocked = await ex.run("er-3")
    assert blocked is not None
    assert blocked.retry_at is not None
    assert blocked.attempts == 2  # bounded retries in process before the block
    await ex.store.put(blocked.resumed("resumed by operator"))
    assert await ex.store.due_retries(blocked.retry_at.timestamp() + 1) == []


async def test_one_driver_per_request_at_a_time() -> None:
    locks = RequestLocks()
    order: list[str] = []

    async def drive(name: str) -> None:
        async with locks.hold("er-1"):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    await asyncio.gather(drive("a"), drive("b"))
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])
    assert len(locks) == 0


def test_scan_interval_follows_the_cool_down() -> None:
    assert scan_interval(900) == 5.0
    assert scan_interval(1.0) == 0.5
    assert scan_interval(None) == 5.0
