"""Coalescing: the latest snapshot per person within a flush interval, and a memory of what was
last written so an unchanged status (a replay, a re-evaluation) costs no API call."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from schemas.messages import PermissionsSnapshot
from workers.writeback.status import change_key, status_fields


class Coalescer:
    """Pending writes by Individual id; a newer snapshot replaces an older one."""

    def __init__(self, *, remembered: int = 200_000) -> None:
        self._pending: dict[str, PermissionsSnapshot] = {}
        self._written: OrderedDict[str, int] = OrderedDict()
        self._remembered = remembered
        self.received = 0
        self.coalesced = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, snapshot: PermissionsSnapshot) -> None:
        self.received += 1
        current = self._pending.get(snapshot.individual_id)
        if current is not None:
            self.coalesced += 1
            if current.evaluated_at > snapshot.evaluated_at:
                return  # an older snapshot arriving late changes nothing
        self._pending[snapshot.individual_id] = snapshot

    def updates(self) -> list[dict[str, Any]]:
        """Field updates for every pending person whose status differs from the last write."""
        out = []
        for individual_id, snapshot in self._pending.items():
            if snapshot.erased:
                continue  # an erased person's record is gone or being anonymised
            fields = status_fields(snapshot)
            if self._written.get(individual_id) != change_key(fields):
                out.append(fields)
        return out

    def written(self, fields: dict[str, Any]) -> None:
        """Remember a successful write (least recently written forgotten first)."""
        individual_id = str(fields["Id"])
        self._written[individual_id] = change_key(fields)
        self._written.move_to_end(individual_id)
        if len(self._written) > self._remembered:
            self._written.popitem(last=False)

    def clear(self) -> None:
        self._pending.clear()
