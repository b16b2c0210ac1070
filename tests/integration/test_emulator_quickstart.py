"""The README's emulator quickstart works against a running emulator, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.emulator import EmulatorHandle

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "emulator" / "quickstart.py"


def test_quickstart_sees_cdc_for_records_it_changes(emulator: EmulatorHandle) -> None:
    creds = json.loads(Path(emulator.credentials_path).read_text(encoding="utf-8"))
    assert creds["instance_url"].startswith("https://localhost:")
    result = subprocess.run(  # noqa: S603 - our own script with a path we built
        [sys.executable, str(SCRIPT), str(emulator.credentials_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("CREATE ['003")
    assert lines[1].startswith("UPDATE ['003")
    assert "Name.FirstName" in lines[1]
    assert "Traceback" not in result.stderr
