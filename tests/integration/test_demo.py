"""`lawful demo` as a new user runs it: everything starts, data flows, search answers, it stops."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from workers.embedded.redis import free_port

pytestmark = pytest.mark.integration


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if re.search(pattern, text):
            return text
        assert proc.poll() is None, f"lawful demo exited early:\n{text}"
        time.sleep(0.5)
    raise AssertionError(f"{pattern!r} not printed within {timeout}s:\n{text}")


def test_demo_runs_the_pipeline_and_serves_search(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "demo.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    with out.open("wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "workers",
                "demo",
                "--persons",
                "25",
                "--rate",
                "4",
                "--duration",
                "25",
                "--api-port",
                str(port),
                "--state-dir",
                str(tmp_path / "state"),
            ],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        text = _wait_for(out, r"live progress", proc, timeout=150)
        key = re.search(r"API key: ([^)\s]+)", text)
        assert key is not None
        assert requests.get(f"http://127.0.0.1:{port}/v1/search", timeout=5).status_code == 401
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        deadline = time.monotonic() + 30
        total = 0
        while time.monotonic() < deadline and total == 0:
            answer = requests.get(
                f"http://127.0.0.1:{port}/v1/search?channel=EMAIL", headers=headers, timeout=5
            )
            assert answer.status_code == 200, answer.text
            total = answer.json()["total"]
            time.sleep(1)
        assert total > 0
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        assert proc.wait(120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = out.read_text(errors="replace")
    assert "stopped" in text
    assert "Traceback" not in text
    progress = re.findall(r"changes (\d+) \| bridged (\d+) \| worker in ([\d,]+)", text)
    assert progress, text
    changes, bridged, _ = progress[-1]
    assert int(changes) > 0
    assert int(bridged) > 0
    assert "DLQ 0" in text.splitlines()[-3]
