"""Counts of one running operation (the backfill's progress interface), read by the runner."""

from __future__ import annotations


class OperationProgress:
    """Records read and events produced (acknowledged by the broker) so far."""

    def __init__(self) -> None:
        self.records_total = 0
        self.records_read = 0
        self.events_produced = 0

    def add_total(self, count: int) -> None:
        self.records_total += count

    def read(self, count: int) -> None:
        self.records_read += count

    def advance(self, count: int) -> None:
        self.events_produced += count

    def entity_done(self, entity: str) -> None:
        del entity

    def finish(self) -> None:
        """Nothing to draw: the runner writes `fields()` to the operation's hash."""

    def fields(self) -> dict[str, str]:
        return {
            "records_total": str(self.records_total),
            "records_read": str(self.records_read),
            "events_produced": str(self.events_produced),
        }
