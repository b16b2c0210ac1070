"""The resumable erasure state machine: planned -> masking -> deleting -> purging -> notifying ->
tombstoned -> done (or blocked with a reason and an alert).

The request is persisted in Redis after every step and every completed chunk, so a crash at any
point resumes where it stopped: completed chunks are not sent again, produced messages are
marked, the tombstone is written once per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from handlers.erasure_graph import ActionPlan
from schemas.codes import AlertType
from schemas.enums import SuppressionScope
from schemas.erasure_policy import ErasurePolicy
from schemas.errors import LawfulError
from schemas.policy import Policy
from schemas.tombstone import RecipientNotice
from workers.erasure import outputs
from workers.erasure.catalogue import EngineCatalogue
from workers.erasure.cooldown import RequestLocks, cools_down
from workers.erasure.graph import GraphResolver
from workers.erasure.metrics import ErasureMetrics
from workers.erasure.sf import ErasureSalesforce, failed
from workers.erasure.steps import erased_and_retained, plan_request, tombstone_fields
from workers.erasure.store import ErasureRequest, RequestStore, State
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog
from workers.salesforce.collections import chunked

log = structlog.get_logger("lawful.erasure")
CHUNK = 200
NEXT: dict[str, State] = {
    "planned": "masking",
    "masking": "deleting",
    "deleting": "purging",
    "purging": "notifying",
    "notifying": "tombstoned",
    "tombstoned": "done",
}


class StepFailedError(LawfulError):
    """Salesforce refused some records (not retriable): the request is blocked."""


@dataclass
class ExecutorConfig:
    recipients: tuple[str, ...] = ()
    bulk_threshold: int = 1000
    purge_recycle_bin: bool = False
    identity_required: bool = False
    max_attempts: int = 5
    retry_wait_max: float = 30.0
    blocked_retry_after: float | None = 900.0  # None: every blocked request waits for an operator
    service_identity: str = "lawful-erasure"
    hash_key: bytes | None = None


@dataclass
class Executor:
    sf: ErasureSalesforce
    store: RequestStore
    tombstones: TombstoneLog
    suppression: SuppressionList
    producer: outputs.Producer
    policy: ErasurePolicy
    engine: Policy
    config: ExecutorConfig = field(default_factory=ExecutorConfig)
    metrics: ErasureMetrics = field(default_factory=ErasureMetrics)
    catalogue: EngineCatalogue | None = None  # the shared purposes; `engine` alone without it
    hook: Callable[[str], None] = lambda point: None  # tests crash the process here
    resolver: GraphResolver = field(init=False)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    locks: RequestLocks = field(default_factory=RequestLocks)

    @property
    def stopping(self) -> bool:
        """Set on SIGTERM: finish the step in flight, start no other."""
        return self.stopped.is_set()

    def stop(self) -> None:
        """Drain: the request being executed stops after its current (persisted) step."""
        self.stopped.set()

    def __post_init__(self) -> None:
        self.resolver = GraphResolver(self.sf, self.policy)

    async def _save(self, request: ErasureRequest, point: str) -> ErasureRequest:
        await self.store.put(request)
        self.hook(point)
        return request

    async def _move(
        self, request: ErasureRequest, state: State, reason: str | None = None
    ) -> ErasureRequest:
        self.metrics.moved(request.state, state)
        log.info("erasure_state", request_id=request.request_id, state=state, reason=reason)
        saved = await self._save(request.moved(state, reason), state)
        await self.metrics.refresh(self.store)
        return saved

    async def resume(self, request: ErasureRequest, reason: str) -> ErasureRequest:
        """Put a blocked request back in the state it was blocked in (persisted; `run` goes on)."""
        resumed = request.resumed(reason)
        self.metrics.moved(request.state, resumed.state)
        log.info("erasure_state", request_id=request.request_id, state=resumed.state, reason=reason)
        saved = await self._save(resumed, "resumed")
        await self.metrics.refresh(self.store)
        return saved

    async def engine_policy(self) -> Policy:
        """The purposes and rules planning folds the person with."""
        return await self.catalogue.policy() if self.catalogue is not None else self.engine

    def ready(self, request: ErasureRequest) -> bool:
        waiting = self.config.identity_required or request.identity_requested
        return not (waiting and request.verified_at is None)

    async def run(self, request_id: str) -> ErasureRequest | None:
        """Drive the request as far as it can go now; returns its latest persisted state (one
        driver per request at a time: a message and the cool-down scan may both ask)."""
        async with self.locks.hold(request_id):
            return await self._run(request_id)

    async def _run(self, request_id: str) -> ErasureRequest | None:
        request = await self.store.get(request_id)
        while request is not None and request.state not in ("done", "failed", "blocked"):
            if self.stopping:
                log.info("erasure_paused", request_id=request_id, state=request.state)
                return request
            if request.state == "received" and not self.ready(request):
                return request
            calls = self.sf.calls
            try:
                request = await self._step(request)
            except LawfulError as exc:
                request = await self._failure(request, exc)
            if self.sf.calls != calls:
                request = request.model_copy(
                    update={"api_calls": request.api_calls + self.sf.calls - calls}
                )
                await self.store.put(request)
        return request

    async def _failure(self, request: ErasureRequest, exc: LawfulError) -> ErasureRequest:
        current = await self.store.get(request.request_id) or request
        attempts = current.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"[:500]
        if exc.retriable and attempts < self.config.max_attempts:
            log.warning("erasure_retry", request_id=request.request_id, attempt=attempts)
            wait = min(self.config.retry_wait_max, 0.2 * 2**attempts) * random.uniform(0.5, 1)  # noqa: S311
            with contextlib.suppress(TimeoutError):  # a drain does not wait for the back-off
                await asyncio.wait_for(self.stopped.wait(), wait)
            return await self._save(current.model_copy(update={"attempts": attempts}), "retry")
        now = datetime.now(UTC)
        retry_at = None
        if cools_down(exc) and self.config.blocked_retry_after is not None:
            retry_at = now + timedelta(seconds=self.config.blocked_retry_after)
            reason = f"{reason[:440]}; automatic retry at {retry_at.isoformat(timespec='seconds')}"
        update = {"attempts": attempts, "retry_at": retry_at}
        blocked = await self._move(current.model_copy(update=update), "blocked", reason)
        key = f"erasure-blocked:{request.request_id}:{attempts}"
        message = outputs.alert(
            AlertType.ERASURE_BLOCKED,
            request.individual_id,
            request.request_id,
            at=now,
            cause=reason,
            key=key,
        )
        await self.producer.send(outputs.ALERTS, request.individual_id, message)
        return blocked

    async def _step(self, request: ErasureRequest) -> ErasureRequest:
        if request.state == "received":
            planned = await plan_request(
                request,
                resolver=self.resolver,
                policy=self.policy,
                engine=await self.engine_policy(),
                recipients=self.config.recipients,
                hash_key=self.config.hash_key,
                bulk_threshold=self.config.bulk_threshold,
            )
            return await self._move(planned, "planned")
        action = {
            "masking": self._mask,
            "deleting": self._delete,
            "purging": self._purge,
            "notifying": self._notify,
            "tombstoned": self._publish_tombstone,
        }.get(request.state)
        if action is not None:
            request = await action(request)
        return await self._move(request, NEXT[request.state])

    async def _chunks(
        self,
        request: ErasureRequest,
        step: str,
        count: int,
        run: Callable[[int], object],
    ) -> ErasureRequest:
        for index in range(count):
            if index in request.done_chunks.get(step, []):
                continue
            await run(index)  # type: ignore[misc]
            request = await self._save(request.chunk_done(step, index), f"{step}:{index}")
        return request

    def _small(self, request: ErasureRequest) -> bool:
        plan = _plan(request)
        return not request.bulk and len(plan.masks) <= CHUNK and len(plan.deletes) <= CHUNK

    async def _mask_and_delete(self, request: ErasureRequest) -> ErasureRequest:
        """One composite call masks and deletes a small graph (both steps' chunk 0)."""
        plan = _plan(request)
        if 0 in request.done_chunks.get("masking", []):
            return request
        records = [
            {"attributes": {"type": m.sobject}, "Id": m.record_id, **m.values} for m in plan.masks
        ]
        ids = [r.record_id for r in plan.deletes]
        masked, deleted = (
            await self.sf.mask_then_delete(records, ids) if records or ids else ([], [])
        )
        problems = failed(masked, [m.record_id for m in plan.masks]) + failed(deleted, ids)
        if problems:
            raise StepFailedError(f"mask/delete refused: {problems[:5]}")
        self.metrics.records.labels(action="masked").inc(len(records))
        self.metrics.records.labels(action="deleted").inc(len(ids))
        request = request.chunk_done("masking", 0).chunk_done("deleting", 0)
        return await self._save(request, "masking:0")

    async def _mask(self, request: ErasureRequest) -> ErasureRequest:
        if self._small(request):
            return await self._mask_and_delete(request)
        masks = list(chunked(_plan(request).masks, CHUNK))

        async def run(index: int) -> None:
            records = [
                {"attributes": {"type": m.sobject}, "Id": m.record_id, **m.values}
                for m in masks[index]
            ]
            problems = failed(
                await self.sf.update_mixed(records), [m.record_id for m in masks[index]]
            )
            if problems:
                raise StepFailedError(f"masking refused: {problems[:5]}")
            self.metrics.records.labels(action="masked").inc(len(records))

        return await self._chunks(request, "masking", len(masks), run)

    def _delete_groups(self, request: ErasureRequest) -> list[tuple[str, list[str]]]:
        deletes = _plan(request).deletes
        if not request.bulk:
            return [("", [r.record_id for r in c]) for c in chunked(deletes, CHUNK)]
        groups: dict[str, list[str]] = {}
        for ref in deletes:
            groups.setdefault(ref.sobject, []).append(ref.record_id)
        return list(groups.items())

    async def _delete(self, request: ErasureRequest) -> ErasureRequest:
        groups = self._delete_groups(request)

        async def run(index: int) -> None:
            sobject, ids = groups[index]
            if sobject:
                problems = await self.sf.bulk_hard_delete(sobject, ids)
                problems = [
                    p for p in problems if not p[1].startswith(("ENTITY_IS_DELETED", "NOT_FOUND"))
                ]
            else:
                problems = failed(await self.sf.delete_ids(ids), ids)
            if problems:
                raise StepFailedError(f"delete refused: {problems[:5]}")
            self.metrics.records.labels(action="deleted").inc(len(ids))

        request = await self._chunks(request, "deleting", len(groups), run)
        return request.model_copy(update={"executed_at": request.executed_at or datetime.now(UTC)})

    async def _purge(self, request: ErasureRequest) -> ErasureRequest:
        if request.bulk or not self.config.purge_recycle_bin or request.plan is None:
            return request
        groups: dict[str, list[str]] = {}
        for ref in request.plan.deletes:
            groups.setdefault(ref.sobject, []).append(ref.record_id)
        items = sorted(groups.items())

        async def run(index: int) -> None:
            sobject, ids = items[index]
            problems = await self.sf.bulk_hard_delete(sobject, ids)
            if [p for p in problems if not p[1].startswith(("ENTITY_IS_DELETED", "NOT_FOUND"))]:
                raise StepFailedError(f"purge refused: {problems[:5]}")

        return await self._chunks(request, "purging", len(items), run)

    async def _once(
        self, request: ErasureRequest, marker: str, send: Callable[[], object]
    ) -> ErasureRequest:
        if marker in request.published:
            return request
        await send()  # type: ignore[misc]
        return await self._save(request.with_published(marker), f"notifying:{marker}")

    async def _notify(self, request: ErasureRequest) -> ErasureRequest:
        at = request.executed_at or datetime.now(UTC)
        erased, retained = erased_and_retained(request)
        person = request.individual_id

        async def suppress() -> None:
            await self.suppression.add(request.identifier_hashes, SuppressionScope.DM_ALL)

        request = await self._once(request, "suppression", suppress)
        for recipient in self.config.recipients:
            message = outputs.notification(
                request.request_id,
                recipient,
                individual_id=person,
                at=at,
                erased=erased,
                retained=retained,
            )
            request = await self._once(
                request,
                f"notify:{recipient}",
                lambda m=message: self.producer.send(outputs.NOTIFICATIONS, m.notification_id, m),  # type: ignore[misc]
            )
            if recipient not in {n.recipient_id for n in request.notified}:
                notice = RecipientNotice(recipient_id=recipient, notified_at=datetime.now(UTC))
                request = request.model_copy(update={"notified": (*request.notified, notice)})
        if retained:
            restrict = outputs.restriction_message(person, request.request_id, at, retained)
            request = await self._once(
                request,
                "restriction",
                lambda: self.producer.send(outputs.PERSON_EVENTS, person, restrict),
            )
        executed = outputs.executed_message(
            person, request.request_id, at=at, erased=erased, retained=retained
        )
        request = await self._once(
            request, "executed", lambda: self.producer.send(outputs.PERSON_EVENTS, person, executed)
        )
        entry = await self.tombstones.append(
            tombstone_fields(request, self.config.service_identity)
        )
        self.metrics.duration.observe((datetime.now(UTC) - request.received_at).total_seconds())
        log.info("erasure_tombstoned", request_id=request.request_id, hash=entry.hash)
        return request

    async def _publish_tombstone(self, request: ErasureRequest) -> ErasureRequest:
        entry = await self.tombstones.find(request.request_id)
        if entry is None:
            raise StepFailedError("tombstone missing in the log")

        async def send() -> None:
            await self.producer.send(outputs.TOMBSTONES, request.request_id, entry)

        return await self._once(request, "tombstone", send)


def _plan(request: ErasureRequest) -> ActionPlan:
    if request.plan is None:
        raise StepFailedError(f"request {request.request_id} has no plan in state {request.state}")
    return request.plan


def describe_plan(request: ErasureRequest) -> Sequence[str]:
    """Human-readable lines of a plan (ids and counts only)."""
    if request.plan is None:
        return ["no plan"]
    plan = request.plan
    lines = [f"request {request.request_id} individual {request.individual_id} due {request.due}"]
    lines += [f"  {c.category}: {c.decision} ({c.ground or '-'})" for c in request.categories]
    lines.append(
        f"  mask {len(plan.masks)} records, delete {len(plan.deletes)}, "
        f"keep masked {len(plan.masked_only)}, retain {len(plan.retained)}"
    )
    lines += [f"  delete {r.sobject} {r.record_id}" for r in plan.deletes]
    lines += [f"  mask   {m.sobject} {m.record_id} fields {sorted(m.values)}" for m in plan.masks]
    lines += [f"  retain {r.sobject} {r.record_id} {r.category}: {r.ground}" for r in plan.retained]
    return lines
