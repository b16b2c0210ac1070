"""Write-back loop over a fake consumer and a fake Salesforce: coalescing, 200 per call, budget
exhaustion pauses and retries, offsets committed only after the writes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from schemas.codes import Reason
from schemas.enums import Channel
from schemas.messages import PermissionCell, PermissionsSnapshot
from workers.salesforce.collections import SaveResult
from workers.salesforce.errors import ApiBudgetExhaustedError
from workers.salesforce.limits import ApiBudget, SalesforceMetrics
from workers.writeback.service import Writeback
from workers.writeback.status import STATUS_FIELD
from workers.writeback.writer import StatusWriter, WritebackMetrics

pytestmark = pytest.mark.component

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)


def snapshot(individual_id: str, minute: int, *, permitted: bool, erased: bool = False) -> bytes:
    cell = PermissionCell(
        purpose_id="newsletter",
        channel=Channel.EMAIL,
        permitted=permitted,
        reason=Reason.CONSENT_ACTIVE if permitted else Reason.CHANNEL_OPT_OUT,
        rule="R6",
        row=None,
        effective_basis=None,
        valid_until=None,
    )
    return (
        PermissionsSnapshot(
            individual_id=individual_id,
            evaluated_at=T0 + timedelta(minutes=minute),
            erased=erased,
            purposes=(),
            cells=(cell,),
        )
        .model_dump_json()
        .encode()
    )


class FakeConsumer:
    def __init__(self, values: list[bytes | None]) -> None:
        self.values = values
        self.commits: list[int] = []
        self.consumed = 0

    async def getmany(self, *partitions: Any, timeout_ms: int = 0) -> dict[Any, list[Any]]:
        if not self.values:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        batch, self.values = self.values, []
        self.consumed += len(batch)
        return {"tp": [SimpleNamespace(value=value) for value in batch]}

    async def commit(self) -> None:
        self.commits.append(self.consumed)


class FakeSalesforce:
    def __init__(self, *, exhausted_calls: int = 0) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.exhausted_calls = exhausted_calls

    async def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        assert sobject == "Individual"
        if self.exhausted_calls:
            self.exhausted_calls -= 1
            raise ApiBudgetExhaustedError(7500, 7500, 15000)
        self.calls.append([dict(record) for record in records])
        return [SaveResult(id=str(r["Id"]), success=True) for r in records]


def service(consumer: FakeConsumer, org: FakeSalesforce) -> Writeback:
    metrics = WritebackMetrics(CollectorRegistry())
    writer = StatusWriter(org, metrics, calls_per_minute=6000)
    return Writeback(
        consumer, writer, metrics, flush_interval=0.05, max_batch=10_000, retry_wait=0.01
    )


async def run_until(writeback: Writeback, flushes: int) -> None:
    task = asyncio.create_task(writeback.run())
    try:
        async with asyncio.timeout(5):
            for _ in iter(lambda: writeback.flushes >= flushes, True):
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_snapshots_are_coalesced_and_written_200_per_call() -> None:
    values: list[bytes | None] = []
    for minute in (1, 3, 2):  # the late older snapshot (2) must not win over 3
        values += [snapshot(f"0PK{i:015d}", minute, permitted=minute == 3) for i in range(450)]
    values += [snapshot("0PKerased", 1, permitted=True, erased=True), None, b"not json"]
    consumer, org = FakeConsumer(values), FakeSalesforce()
    writeback = service(consumer, org)
    await run_until(writeback, 1)
    assert [len(call) for call in org.calls] == [200, 200, 50]
    assert all('"ok":true' in record[STATUS_FIELD] for call in org.calls for record in call)
    assert consumer.commits == [len(values)]


async def test_budget_exhaustion_pauses_then_writes_then_commits() -> None:
    consumer = FakeConsumer([snapshot("0PKA", 1, permitted=True)])
    org = FakeSalesforce(exhausted_calls=2)
    writeback = service(consumer, org)
    await run_until(writeback, 1)
    assert len(org.calls) == 1
    assert consumer.commits == [1]


async def test_an_unchanged_status_is_not_written_again() -> None:
    consumer, org = FakeConsumer([snapshot("0PKA", 1, permitted=True)]), FakeSalesforce()
    writeback = service(consumer, org)
    await run_until(writeback, 1)
    consumer.values = [snapshot("0PKA", 2, permitted=True), snapshot("0PKB", 2, permitted=False)]
    await run_until(writeback, 2)
    assert [[r["Id"] for r in call] for call in org.calls] == [["0PKA"], ["0PKB"]]
    assert consumer.commits == [1, 3]


class BudgetedSalesforce(FakeSalesforce):
    """A REST adapter whose real `ApiBudget` saw the allowance used up; the org's window then
    frees up, which only a call that reaches Salesforce can observe."""

    def __init__(self) -> None:
        super().__init__()
        self.budget = ApiBudget(0.5, SalesforceMetrics(CollectorRegistry()))
        self.budget.observe("api-usage=7500/15000")

    async def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        self.budget.acquire()  # raises while the last observed usage is exhausted
        try:
            self.budget.observe("api-usage=10/15000")  # a new day: the response says so
            return await super().update(sobject, records, all_or_none=all_or_none)
        finally:
            self.budget.release()


async def test_an_exhausted_budget_is_asked_again_after_the_pause() -> None:
    consumer, org = FakeConsumer([snapshot("0PKA", 1, permitted=True)]), BudgetedSalesforce()
    writeback = service(consumer, org)
    await run_until(writeback, 1)
    assert len(org.calls) == 1
    assert consumer.commits == [1]
