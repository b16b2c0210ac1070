"""A plain-text progress bar on a stream (stderr): redrawn in place on a terminal, one line
every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import time
from typing import TextIO

BAR = 24


class Progress:
    def __init__(self, stream: TextIO, *, interval: float | None = None) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._entity = ""
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def start(self, entity: str, total: int) -> None:
        self._entity, self._total, self._done = entity, total, 0
        self._started = time.monotonic()
        self._draw(force=True)

    def advance(self, count: int) -> None:
        self._done += count
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()

    def line(self) -> str:
        total = max(self._total, self._done)
        filled = BAR if total == 0 else BAR * self._done // total
        elapsed = max(time.monotonic() - self._started, 1e-9)
        return (
            f"{self._entity:<28} [{'#' * filled}{'-' * (BAR - filled)}] "
            f"{self._done:>9,}/{total:,}  {self._done / elapsed:,.0f}/s"
        )

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < self._interval:
            return
        self._drawn = now
        if self._tty:
            self._stream.write(f"\r{self.line()}")
        else:
            self._stream.write(f"{self.line()}\n")
        self._stream.flush()
