"""`lawful demo` as a new user runs it: everything starts, data flows, search answers, it stops."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry

from workers.embedded.redis import free_port
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import SalesforceSettings

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


async def _request_erasure_in_the_org(credentials: Path) -> str:
    """Set Individual.ShouldForget on one person through the org's REST API (as a user would)."""
    settings = SalesforceSettings.model_validate(
        {"credentials_file": credentials, "auth_flow": "jwt"}
    )
    rest = SimpleSalesforceRest.from_settings(settings, registry=CollectorRegistry())
    try:
        people = await rest.query_all("SELECT Id FROM Individual ORDER BY Id DESC LIMIT 1")
        individual_id = str(people[0]["Id"])
        (result,) = await rest.update("Individual", [{"Id": individual_id, "ShouldForget": True}])
        assert result.success, result
        return individual_id
    finally:
        rest.close()


def _erasure_done(port: int, headers: dict[str, str], individual_id: str) -> dict[str, Any]:
    """The erasure of `individual_id` as `GET /v1/erasures?state=done` shows it (45 s at most)."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        answer = requests.get(
            f"http://127.0.0.1:{port}/v1/erasures?state=done&limit=500", headers=headers, timeout=5
        )
        assert answer.status_code == 200, answer.text
        for item in answer.json()["items"]:
            if item["individual_id"] == individual_id:
                found: dict[str, Any] = item
                return found
        time.sleep(1)
    everything = requests.get(f"http://127.0.0.1:{port}/v1/erasures", headers=headers, timeout=5)
    raise AssertionError(f"no done erasure of {individual_id}: {everything.text[:2000]}")


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
                "40",
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
        assert "Erasure requests" in page.text
        # an erasure requested in the org runs through bridge, worker and executor to the API
        credentials = tmp_path / "state" / "emulator" / "credentials.json"
        individual_id = asyncio.run(_request_erasure_in_the_org(credentials))
        erased = _erasure_done(port, headers, individual_id)
        assert erased["executed_at"]
        assert [step["state"] for step in erased["history"]][-1] == "done"
        one = requests.get(
            f"http://127.0.0.1:{port}/v1/erasures/{erased['request_id']}",
            headers=headers,
            timeout=5,
        )
        assert one.status_code == 200
        assert one.json()["state"] == "done"
        redis_url = re.search(r"redis +(redis://\S+)", text)
        assert redis_url is not None
        verify_env = {**env, "LAWFUL_REDIS__URL": redis_url.group(1),
                      "LAWFUL_REDIS__KEY_PREFIX": "lawful-demo:"}  # fmt: skip
        verified = subprocess.run(
            [sys.executable, "-m", "workers", "tombstones", "verify"],
            env=verify_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr
        tombstones = re.search(r"(\d+) tombstones, chain intact", verified.stdout)
        assert tombstones is not None
        assert int(tombstones.group(1)) >= 1
        proc.send_signal(signal.SIGINT)  # Ctrl-C (else --duration ends it)
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
