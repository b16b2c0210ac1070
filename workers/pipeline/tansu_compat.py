"""Test/dev only (broker.md §11): send LeaveGroup at generation 0 too, as Tansu numbers the first
generation 0 and aiokafka skips LeaveGroup then, which makes an immediate restart take 12.5 s.

Applied by `lawful worker --tansu-compat` (tests, `lawful demo`), never by production. Wraps the
private `aiokafka.consumer.group_coordinator.GroupCoordinator._maybe_leave_group`; the guard test
in tests/component/test_pipeline_fetch.py fails if it disappears on an aiokafka upgrade.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.consumer.group_coordinator import GroupCoordinator  # type: ignore[import-untyped]
from aiokafka.protocol.group import LeaveGroupRequest  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

_ORIGINAL = GroupCoordinator._maybe_leave_group


async def _leave_group_at_generation_zero(self: Any) -> None:
    if self.generation == 0 and self._group_instance_id is None and self.member_id:
        try:
            await self._send_req(LeaveGroupRequest(self.group_id, self.member_id))
        except Exception as exc:  # noqa: BLE001 - best effort, as aiokafka's own attempt
            log.warning("LeaveGroup at generation 0 failed: %r", exc)
        self.reset_generation()
        return
    await _ORIGINAL(self)


def apply() -> None:
    """Install the wrapper (idempotent)."""
    GroupCoordinator._maybe_leave_group = _leave_group_at_generation_zero
