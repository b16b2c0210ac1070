"""Helpers for integration tests of `lawful bridge` / `lawful writeback` (P2): run the command as a
real subprocess against the emulator, Redis and Tansu, and read lawful's topics back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from tests.fixtures.emulator import EmulatorHandle
from workers.embedded.redis import free_port


def lawful_env(
    emulator: EmulatorHandle,
    *,
    redis_url: str,
    redis_prefix: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    **extra: str,
) -> dict[str, str]:
    """Environment of a lawful process wired to the test services (nothing from the host)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env.update(
        {
            "LAWFUL_SALESFORCE__CREDENTIALS_FILE": str(emulator.credentials_path),
            "LAWFUL_SALESFORCE__AUTH_FLOW": "jwt",
            "LAWFUL_SALESFORCE__STREAMING_LIVENESS_TIMEOUT": "10",
            "LAWFUL_REDIS__URL": redis_url,
            "LAWFUL_REDIS__KEY_PREFIX": redis_prefix,
            "LAWFUL_KAFKA__BOOTSTRAP": f"kafka://{kafka_bootstrap}",
            "LAWFUL_KAFKA__TOPIC_PREFIX": topic_prefix,
            "LAWFUL_WEB__HOST": "127.0.0.1",
            "LAWFUL_WEB__PORT": str(free_port()),
        }
    )
    env.update(extra)
    return env


class LawfulProcess:
    """`python -m workers <command>` with its output in a log file; killable with -9."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = env
        self.log_path = log_path
        self.port = int(env["LAWFUL_WEB__PORT"])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LawfulProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "workers", *self.command],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def ready(self) -> bool:
        try:
            response = requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.command} exited: {self.log()}")
            if self.ready():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.command} not ready after {timeout}s: {self.log()}")

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=2).text

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def dump_stacks(self, wait: float = 1.0) -> None:
        """SIGUSR1: the process prints its asyncio task and thread stacks to its log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(wait)

    def kill(self) -> None:
        """SIGKILL: no flush, no acknowledgement, nothing graceful."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    done: Callable[[list[tuple[str, dict[str, Any]]]], bool],
    within: float = 30.0,
) -> list[tuple[str, dict[str, Any]]]:
    """(key, JSON value) of every record of `topic` from the start, until `done(records)`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[str, dict[str, Any]]] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        for _ in range(50):
            if partitions:
                break
            await asyncio.sleep(0.1)
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        async with asyncio.timeout(within):
            while not done(records):
                batches = await consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    records += [(m.key.decode(), json.loads(m.value)) for m in batch]
    finally:
        await consumer.stop()
    return records
