"""`python -m emulator` / `lawful emulator`: start, print the files, serve, stop on SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from workers.cli import build_parser

pytestmark = pytest.mark.integration


def test_lawful_emulator_subcommand_is_registered() -> None:
    args = build_parser().parse_args(["emulator", "--port", "0", "--seed-persons", "5"])
    assert args.seed_persons == 5
    assert callable(args.func)


def test_python_m_emulator_serves_and_persists(tmp_path: Path) -> None:
    data = tmp_path / "org.json"
    command = [
        sys.executable,
        "-m",
        "emulator",
        "--port",
        "0",
        "--http-port",
        "0",
        "--state-dir",
        str(tmp_path / "state"),
        "--data",
        str(data),
        "--seed-persons",
        "25",
        "--seed",
        "3",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert process.stdout is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("credentials:"):
            line = process.stdout.readline()
            assert line, f"emulator exited early: {lines}"
            lines.append(line.strip())
        assert lines[0].startswith("seeded 25 persons")
        creds = json.loads(Path(lines[-1].split(": ", 1)[1]).read_text())
        assert creds["instance_url"].startswith("https://localhost:")
        assert creds["http_url"].startswith("http://localhost:")
        assert Path(creds["private_key_path"]).exists()
        with requests.Session() as session:
            session.verify = creds["ca_path"]
            session.trust_env = False
            token = session.post(
                creds["token_url"],
                timeout=10,
                data={
                    "grant_type": "password",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "username": creds["username"],
                    "password": creds["password"] + creds["security_token"],
                },
            ).json()["access_token"]
            count = session.get(
                f"{creds['instance_url']}/services/data/v59.0/query/",
                params={"q": "SELECT COUNT() FROM Individual"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            ).json()["totalSize"]
        assert count == 25
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert "emulator stopped" in out
    assert process.returncode == 0
    assert data.exists()
