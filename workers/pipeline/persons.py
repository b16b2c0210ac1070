"""The person aggregate step: lawful.person-events.v1 messages -> new state, outputs on the
permission, change, audit and alert topics (keyed by Individual id), and the next wake-up.

A batch is folded per person (`handle_batch`): each person's messages of the batch go through
the engine in one step, so the state is decoded and encoded once, the cells are recomputed
once, and one snapshot and the net change per cell go out (a cell that flips and flips back
inside one batch publishes no change; the audit topic still carries every event)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping, Sequence
from datetime import UTC, datetime

import structlog

from schemas.fast_json import dump_json
from schemas.messages import PersonMessage
from schemas.policy import Policy
from workers.pipeline.dlq import Origin
from workers.pipeline.ports import PersonResult, Send, StepPerson
from workers.pipeline.scheduler import WakeupSchedule

log = structlog.get_logger("lawful.pipeline.persons")

PERMISSIONS_TOPIC = "lawful.permissions.v1"
CHANGES_TOPIC = "lawful.permission-changes.v1"
AUDIT_TOPIC = "lawful.audit.v1"
ALERTS_TOPIC = "lawful.alerts.v1"

Poisoned = list[tuple[Origin, Exception]]

YIELD_EVERY = 32
"""Persons stepped between two turns of the event loop in a batch."""


class PersonsProcessor:
    """Folds person messages into the `persons` table (key Individual id -> encoded state)."""

    def __init__(
        self,
        step_person: StepPerson,
        send: Send,
        policy: Callable[[], Policy],
        schedule: WakeupSchedule | None = None,
        *,
        on_alert: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._step = step_person
        self._send = send
        self._policy = policy
        self._schedule = schedule
        self._on_alert = on_alert
        self._clock = clock

    async def handle(self, origin: Origin, table: MutableMapping[str, bytes]) -> None:
        """One message (raises what makes it poison)."""
        message = PersonMessage.model_validate_json(origin.value or b"")
        person = message.individual_id
        result = self._step(table.get(person), (message,), self._clock(), self._policy())
        await self._publish(person, origin.partition, result, table)

    async def handle_batch(
        self, origins: Sequence[Origin], table: MutableMapping[str, bytes]
    ) -> Poisoned:
        """Every message of a batch, one engine step per person; the poison messages, with why.

        A person whose step fails is stepped again one message at a time, so only the failing
        message is poison and the person's other messages still count."""
        poisoned: Poisoned = []
        groups: dict[str, list[tuple[Origin, PersonMessage]]] = {}
        for origin in origins:
            try:
                message = PersonMessage.model_validate_json(origin.value or b"")
            except Exception as exc:  # noqa: BLE001 - undecodable or unknown: poison
                poisoned.append((origin, exc))
                continue
            groups.setdefault(message.individual_id, []).append((origin, message))
        now, policy = self._clock(), self._policy()
        for count, (person, items) in enumerate(groups.items(), 1):
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # the earlier round's flush makes progress meanwhile
            try:
                messages = [message for _, message in items]
                result = self._step(table.get(person), messages, now, policy)
            except Exception:  # noqa: BLE001 - find the poison message below
                log.info("person_batch_isolating", messages=len(items))
                poisoned.extend(await self._one_by_one(person, items, table, now, policy))
                continue
            await self._publish(person, items[-1][0].partition, result, table)
        poisoned.sort(key=lambda pair: (pair[0].partition, pair[0].offset))
        return poisoned

    async def _one_by_one(
        self,
        person: str,
        items: list[tuple[Origin, PersonMessage]],
        table: MutableMapping[str, bytes],
        now: datetime,
        policy: Policy,
    ) -> Poisoned:
        poisoned: Poisoned = []
        for origin, message in items:
            try:
                result = self._step(table.get(person), (message,), now, policy)
            except Exception as exc:  # noqa: BLE001 - poison: dead-lettered by the caller
                poisoned.append((origin, exc))
                continue
            await self._publish(person, origin.partition, result, table)
        return poisoned

    async def _publish(
        self, person: str, partition: int, result: PersonResult, table: MutableMapping[str, bytes]
    ) -> None:
        if result.snapshot is not None:
            await self._send(PERMISSIONS_TOPIC, person, dump_json(result.snapshot))
        for change in result.changes:
            await self._send(CHANGES_TOPIC, person, dump_json(change))
        for audit in result.audit:
            await self._send(AUDIT_TOPIC, person, dump_json(audit))
        for alert in result.alerts:
            await self._send(ALERTS_TOPIC, person, dump_json(alert))
            if self._on_alert is not None:
                self._on_alert()
        table[person] = result.state
        if self._schedule is not None:
            await self._schedule.schedule(person, partition, result.next_wakeup)
