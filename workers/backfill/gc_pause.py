"""Fewer young-generation collections while a backfill runs.

Each SOQL page parses to thousands of dicts (one per record, one per `attributes`) that live
until the page is produced. With CPython's stock threshold (a collection every 700 container
allocations) those dicts were walked again and again: about a fifth of lawful's CPU in
bench/backfill.py. Nearly all of them are freed by reference counting, so collecting every
50,000 allocations keeps memory bounded while the walks almost disappear.

The threshold is process-wide: it is raised while at least one backfill runs and put back as
it was when the last one ends (the bridge's operations runner shares its process).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLD = 50_000

_running = 0
_previous: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections(threshold: int = GC_THRESHOLD) -> Iterator[None]:
    """Young collections every `threshold` container allocations (never more often than the
    process already had them) until the last overlapping `fewer_collections` ends."""
    global _running, _previous  # noqa: PLW0603 - one process-wide setting, counted
    if _running == 0:
        _previous = gc.get_threshold()
        if _previous[0] and _previous[0] < threshold:  # 0: automatic collection is off
            gc.set_threshold(threshold, _previous[1], _previous[2])
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0 and _previous is not None:
            gc.set_threshold(*_previous)
            _previous = None
