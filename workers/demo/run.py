"""Run the demo: start everything, backfill the seeded org, make changes, show live progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from prometheus_client import CollectorRegistry

from workers.demo.processes import Role
from workers.demo.progress import metric_sum, topic_sum
from workers.demo.stack import Stack
from workers.demo.traffic import ChangeGenerator
from workers.embedded.redis import free_port
from workers.embedded.topics import create_lawful_topics
from workers.pipeline.logs import configure_logging
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import SalesforceSettings


@dataclass(frozen=True)
class DemoOptions:
    persons: int = 200
    rate: float = 5.0
    redis_url: str | None = None
    state_dir: Path = Path("lawful-data/demo")
    api_port: int = 8080
    duration: float = 0.0  # 0: until Ctrl-C
    seed: int = 7


class Console:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.live = out.isatty()

    def say(self, line: str) -> None:
        self.out.write(("\r\033[K" if self.live else "") + line + "\n")
        self.out.flush()

    def status(self, line: str) -> None:
        if self.live:
            self.out.write("\r\033[K" + line)
            self.out.flush()


def _progress(
    started: float, traffic: ChangeGenerator, roles: dict[str, Role], rest: SimpleSalesforceRest
) -> str:
    worker = roles["worker"].metrics()
    bridge = roles["bridge"].metrics()
    usage = rest.api_usage
    api = f"{usage.used:,} / {usage.total:,}" if usage else "-"
    changes = topic_sum(worker, "lawful_events_out_total", "permission-changes.v1")
    return (
        f"[{int(time.monotonic() - started):>4}s] changes {traffic.stats.total:,}"
        f" | bridged {metric_sum(bridge, 'lawful_bridge_messages_produced'):,.0f}"
        f" | worker in {topic_sum(worker, 'lawful_events_in_total', 'sf-cdc.v1'):,.0f}"
        f" | permission changes {changes:,.0f}"
        f" | alerts {metric_sum(worker, 'lawful_alerts_emitted'):,.0f}"
        f" | DLQ {metric_sum(worker, 'lawful_dlq_events'):,.0f}"
        f" | API calls {api}"
    )


def run_backfill(stack: Stack, *, who: str = "lawful demo") -> float:
    """`lawful backfill` against the stack (log in its logs folder); seconds it took."""
    started = time.monotonic()
    log = stack.state_dir / "logs" / "backfill.log"
    with log.open("ab") as out:
        result = subprocess.run(
            [sys.executable, "-m", "workers", "backfill"],
            env=stack.env(free_port()),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"{who}: backfill failed; see {log}")
    return time.monotonic() - started


def _backfill(stack: Stack, console: Console) -> None:
    seconds = run_backfill(stack)
    console.say(f"  backfill   existing org read into the pipeline in {seconds:.1f} s")


async def _loop(
    options: DemoOptions,
    stack: Stack,
    roles: dict[str, Role],
    console: Console,
    stop: asyncio.Event,
) -> None:
    assert stack.emulator is not None  # noqa: S101 - started by run_demo
    settings = SalesforceSettings(
        credentials_file=stack.emulator.credentials_path, auth_flow="jwt", api_budget_share=1.0
    )
    rest = SimpleSalesforceRest.from_settings(settings, registry=CollectorRegistry())
    traffic = ChangeGenerator(rest, seed=options.seed)
    try:
        await traffic.load()
        started = last = time.monotonic()
        interval = 1.0 / options.rate if options.rate > 0 else 1.0
        while not stop.is_set():
            if options.duration and time.monotonic() - started >= options.duration:
                break
            if options.rate > 0:
                await traffic.step()
            dead = [name for name, role in roles.items() if not role.alive()]
            if dead:
                raise SystemExit(
                    f"lawful demo: lawful {dead[0]} stopped; see {stack.state_dir}/logs"
                )
            if time.monotonic() - last >= 1.0:
                line = await asyncio.to_thread(_progress, started, traffic, roles, rest)
                if console.live:
                    console.status(line)
                elif int(time.monotonic() - started) % 10 == 0:
                    console.say(line)
                last = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        console.say(await asyncio.to_thread(_progress, started, traffic, roles, rest))
    finally:
        rest.close()


def _log_to_file(path: Path) -> None:
    """The demo's own JSON logs go to a file: the terminal shows the progress only."""
    configure_logging("info")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(path.open("a", encoding="utf-8"))


async def run_demo(options: DemoOptions, out: TextIO) -> int:
    console = Console(out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    options.state_dir.mkdir(parents=True, exist_ok=True)
    (options.state_dir / "logs").mkdir(exist_ok=True)
    _log_to_file(options.state_dir / "logs" / "demo.log")
    stack = Stack(options.state_dir.resolve())
    console.say("lawful demo - the whole pipeline on this machine (Ctrl-C stops everything)")
    try:
        report = await asyncio.to_thread(stack.start_org, options.persons, options.seed)
        assert stack.emulator is not None  # noqa: S101 - just started
        console.say(
            f"  org        {stack.emulator.instance_url}  ({report['persons']} persons, "
            f"{report['records']} records seeded)"
        )
        bootstrap = await asyncio.to_thread(stack.start_broker)
        await create_lawful_topics(bootstrap, stack.partitions)
        console.say(f"  broker     Tansu at {bootstrap}")
        redis_url = await asyncio.to_thread(stack.start_redis, options.redis_url)
        kind = "given" if options.redis_url else "embedded"
        console.say(f"  redis      {redis_url} ({kind})")
        started = time.monotonic()
        roles = {
            "worker": stack.start_role("worker", ["worker", "--tansu-compat"]),
            "api": stack.start_role("api", ["api"], web_port=options.api_port),
            "bridge": stack.start_role("bridge", ["bridge"]),
            "writeback": stack.start_role("writeback", ["writeback"]),
            "erasure": stack.start_role("erasure", ["erase", "run"]),
        }
        for role in roles.values():
            await asyncio.to_thread(role.wait_ready, 90.0)
        console.say(
            f"  roles      worker, api, bridge, writeback, erasure ready in "
            f"{time.monotonic() - started:.1f} s (logs: {stack.state_dir / 'logs'})"
        )
        await asyncio.to_thread(_backfill, stack, console)
        console.say(
            f"  web page   http://127.0.0.1:{options.api_port}/  (API key: {stack.api_key})"
        )
        console.say(f"  changes    {options.rate:g}/s through the REST API; live progress:")
        await _loop(options, stack, roles, console, stop)
    finally:
        console.say("stopping ...")
        await asyncio.to_thread(stack.stop)
        console.say("stopped")
    return 0
