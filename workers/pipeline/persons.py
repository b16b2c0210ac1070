"""The person aggregate step: one lawful.person-events.v1 message -> new state, outputs on the
permission, change, audit and alert topics (keyed by Individual id), and the next wake-up."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime

from schemas.messages import PersonMessage
from schemas.policy import Policy
from workers.pipeline.dlq import Origin
from workers.pipeline.ports import Send, StepPerson
from workers.pipeline.scheduler import WakeupSchedule

PERMISSIONS_TOPIC = "lawful.permissions.v1"
CHANGES_TOPIC = "lawful.permission-changes.v1"
AUDIT_TOPIC = "lawful.audit.v1"
ALERTS_TOPIC = "lawful.alerts.v1"


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
        message = PersonMessage.model_validate_json(origin.value or b"")
        person = message.individual_id
        result = self._step(table.get(person), message, self._clock(), self._policy())
        if result.snapshot is not None:
            await self._send(PERMISSIONS_TOPIC, person, result.snapshot.model_dump_json().encode())
        for change in result.changes:
            await self._send(CHANGES_TOPIC, person, change.model_dump_json().encode())
        for audit in result.audit:
            await self._send(AUDIT_TOPIC, person, audit.model_dump_json().encode())
        for alert in result.alerts:
            await self._send(ALERTS_TOPIC, person, alert.model_dump_json().encode())
            if self._on_alert is not None:
                self._on_alert()
        table[person] = result.state
        if self._schedule is not None:
            await self._schedule.schedule(person, origin.partition, result.next_wakeup)
