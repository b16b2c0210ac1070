"""A plain-text progress bar on a stream (stderr): redrawn in place on a terminal, one line
every few seconds otherwise (logs, CI). Totals grow as each entity's first page reports its size."""

from __future__ import annotations

import time
from typing import Protocol, TextIO

BAR = 24


class BackfillProgress(Protocol):
    """What `backfill()` reports: totals, records read, records acknowledged, entities done."""

    def add_total(self, count: int) -> None: ...
    def read(self, count: int) -> None: ...
    def advance(self, count: int) -> None: ...
    def entity_done(self, entity: str) -> None: ...
    def finish(self) -> None: ...


class Progress:
    def __init__(self, stream: TextIO, *, entities: int, interval: float | None = None) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._entities = entities
        self._finished: list[str] = []
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def add_total(self, count: int) -> None:
        self._total += count
        self._draw()

    def read(self, count: int) -> None:
        """The bar counts records once the broker acknowledged them (`advance`)."""
        del count

    def advance(self, count: int) -> None:
        self._done += count
        self._draw()

    def entity_done(self, entity: str) -> None:
        self._finished.append(entity)
        self._draw(force=True)

    def finish(self) -> None:
        self._draw(force=True)
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()

    def line(self) -> str:
        total = max(self._total, self._done)
        filled = BAR if total == 0 else BAR * self._done // total
        elapsed = max(time.monotonic() - self._started, 1e-9)
        last = self._finished[-1] if self._finished else "-"
        return (
            f"[{'#' * filled}{'-' * (BAR - filled)}] {self._done:>9,}/{total:,} records  "
            f"{self._done / elapsed:,.0f}/s  entities {len(self._finished)}/{self._entities} "
            f"(last: {last})"
        )

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < self._interval:
            return
        self._drawn = now
        self._stream.write(f"\r{self.line()}" if self._tty else f"{self.line()}\n")
        self._stream.flush()
