"""lawful roles as child processes (`python -m workers <role>`), with logs and health checks."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from schemas.errors import TransientError


class Role:
    """One `lawful <command>` child; output goes to `<logs>/<name>.log`."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = logs / f"{name}.log"
        self.port = int(env["LAWFUL_WEB__PORT"])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Role:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "workers", *self.command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the demo only; it stops the roles
            )
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise TransientError(f"lawful {self.name} exited; see {self.log_path}")
            try:
                if requests.get(self.url("/readyz"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TransientError(
            f"lawful {self.name} not ready after {timeout:.0f} s; see {self.log_path}"
        )

    def metrics(self) -> str:
        try:
            return requests.get(self.url("/metrics"), timeout=1).text
        except requests.RequestException:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful: finish, commit, flush, close), then SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
