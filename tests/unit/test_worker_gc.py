"""The worker's gc tuning: thresholds from LAWFUL_PIPELINE__GC_THRESHOLD, start-up frozen."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import gc
from workers.commands.worker import tune_gc
from workers.settings import load_settings
before = gc.get_freeze_count()
tune_gc(load_settings().pipeline.gc_threshold)
print(*gc.get_threshold(), before, gc.get_freeze_count() > before)
"""


def probe(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, check=True
    )
    return done.stdout.decode().split()


def test_default_thresholds_and_start_up_frozen() -> None:
    assert probe() == ["50000", "50", "100", "0", "True"]


def test_thresholds_from_the_environment() -> None:
    assert probe(LAWFUL_PIPELINE__GC_THRESHOLD="[1234,5,6]")[:3] == ["1234", "5", "6"]
