"""Latency from an emulator record change to its message on lawful.permission-changes.v1.

    uv run --frozen python bench/latency.py [--rate 500] [--duration 30] [--persons 2000]
        [--redis-url URL] [--cometd] [--env LAWFUL_PIPELINE__BATCH_WITHIN=0.02 ...]
        [--profile DIR] [--consumer-poll-ms 100] [--arrival-times]

Starts the stack as `lawful demo` does (the emulator in this process with a seeded org, an
embedded Tansu, Redis embedded or at --redis-url, `lawful bridge` and `lawful worker
--tansu-compat` as processes with the demo's environment) and backfills the org. A calibration
pass flips one consent per person once and keeps the people whose flip changes a cell. Then, for
--duration seconds at --rate changes/s, it flips ContactPointTypeConsent.PrivacyConsentStatus
(OptIn <-> OptOut, CaptureDate = now) through the org's in-process API, which commits through
the same store and CDC hub that REST writes use. One raw aiokafka consumer reads
lawful.sf-cdc.v1 (the bridge's produce: the baseline, org + bridge), lawful.person-events.v1
(the worker's record stage) and lawful.permission-changes.v1, and matches each message to its
change by record id and replay id. A message is timed by its Kafka CreateTime (when its
producer sent it: the broker has it within the producer's linger, 5 ms, and a round trip), so
the consumer reads only every --consumer-poll-ms and costs the broker little; --arrival-times
times it by the fetch that brought it instead (the earlier ruler: about 15 ms later at p50,
from a consumer that fetches continuously and costs Tansu about 0.6 ms of CPU per change at
500/s). With --cometd a plain aiosfstream_ng subscriber of the consent CDC channel gives a
second baseline (the org alone). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench.emulator_cdc import _ignore_cancelled_connect
from bench.latency_flips import Flipper, consent_per_person
from bench.latency_listeners import consume, listen_cometd, start_consumer, subscribe_cometd
from bench.latency_report import (
    cpu_seconds,
    print_report,
    scrape,
    thread_cpu_seconds,
    worker_counters,
)
from bench.latency_tracking import Tracker
from workers.demo.processes import Role
from workers.demo.run import run_backfill
from workers.demo.stack import Stack
from workers.embedded.redis import free_port
from workers.embedded.topics import create_lawful_topics

EMULATOR_THREAD = "lawful-emulator"  # EmulatorServer.start_in_thread's thread: CometD, REST


@dataclass
class BenchStack(Stack):
    """The demo's stack, with a key prefix of its own and optional LAWFUL_* overrides."""

    overrides: dict[str, str] = field(default_factory=dict)

    profile_dir: Path | None = None

    def env(self, web_port: int) -> dict[str, str]:
        return {**super().env(web_port), **self.overrides}

    def start_role(self, name: str, command: list[str], web_port: int | None = None) -> Role:
        """As the demo does; with --profile under cProfile (stats written at a clean exit)."""
        if self.profile_dir is None:
            return super().start_role(name, command, web_port)
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        profiled = ["-m", "cProfile", "-o", str(self.profile_dir / f"{name}.prof")]
        role = ProfiledRole(name, command, self.env(free_port()), self.state_dir / "logs")
        role.prefix = profiled
        self.roles.append(role.start())
        return role


class ProfiledRole(Role):
    """A role started as `python -m cProfile -o FILE -m workers <command>`."""

    prefix: list[str]

    def start(self) -> Role:
        (self.log_path.parent).mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, *self.prefix, "-m", "workers", *self.command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="changes per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of changes")
    parser.add_argument("--persons", type=int, default=2000, help="persons seeded in the org")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--grace", type=float, default=15.0, help="seconds to wait for stragglers")
    parser.add_argument("--redis-url", default=None, help="use this Redis (else embedded)")
    parser.add_argument("--cometd", action="store_true", help="add the aiosfstream_ng baseline")
    parser.add_argument(
        "--consumer-fetch-wait-ms", type=int, default=10, help="the bench consumer's fetch wait"
    )
    parser.add_argument(
        "--consumer-poll-ms",
        type=float,
        default=100.0,
        help="the bench consumer reads this often (messages are timed by their CreateTime)",
    )
    parser.add_argument(
        "--arrival-times",
        action="store_true",
        help="time messages by the bench consumer's fetch instead (reads continuously; the"
        " ruler before 2026-11-29)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment override for the bridge and worker (repeatable)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the roles' logs")
    parser.add_argument(
        "--profile", type=Path, default=None, metavar="DIR", help="cProfile the roles into DIR"
    )
    return parser.parse_args()


async def wait_idle(stack: BenchStack, quiet_s: float = 3.0, limit_s: float = 600.0) -> float:
    """Wait until the worker's consumed-message counters stop moving for `quiet_s`."""
    worker = stack.roles[0]
    started = time.monotonic()
    last, since = -1.0, time.monotonic()
    while time.monotonic() - started < limit_s:
        counters = worker_counters(await asyncio.to_thread(scrape, worker.port))
        total = sum(v for k, v in counters.items() if k.startswith("in "))
        if total != last:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise SystemExit("bench/latency.py: the worker did not go idle after the backfill")


async def wait_matched(tracker: Tracker, limit_s: float) -> None:
    """Until every change made so far is matched, or `limit_s` passed."""
    for _ in range(max(1, int(limit_s / 0.2))):
        if all(c.done_at is not None for c in tracker.changes):
            return
        await asyncio.sleep(0.2)


async def counters(
    stack: BenchStack,
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """The bridge's and worker's counters, and the CPU seconds of every process of the stack."""
    texts = [await asyncio.to_thread(scrape, role.port) for role in stack.roles]
    pids = {role.name: role.proc.pid if role.proc else None for role in stack.roles}
    pids["tansu"] = stack.tansu.pid if stack.tansu else None
    pids["redis"] = stack.embedded_redis.pid if stack.embedded_redis else None
    pids["bench+emulator"] = os.getpid()
    cpu = cpu_seconds(pids)
    emulator = next((t.native_id for t in threading.enumerate() if t.name == EMULATOR_THREAD), None)
    if emulator is not None:  # the org's own server thread apart from the bench's work
        ran, waited = thread_cpu_seconds(os.getpid(), emulator)
        whole_ran, whole_waited = cpu.pop("bench+emulator")
        cpu["emulator thread"] = (ran, waited)
        cpu["bench thread(s)"] = (whole_ran - ran, whole_waited - waited)
    return worker_counters("".join(texts)), cpu


async def idle_cpu(stack: BenchStack, seconds: float) -> dict[str, float]:
    """CPU seconds per second each process uses while no change is made."""
    _, first = await counters(stack)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    _, last = await counters(stack)
    elapsed = time.monotonic() - started
    return {name: (last[name][0] - first[name][0]) / elapsed for name in last}


async def measure(args: argparse.Namespace, stack: BenchStack) -> None:
    assert stack.emulator is not None  # noqa: S101 - started before
    assert stack.tansu is not None  # noqa: S101 - started before
    asyncio.get_running_loop().set_exception_handler(_ignore_cancelled_connect)
    tracker = Tracker()
    stop = asyncio.Event()
    consumer = await start_consumer(
        stack.tansu.bootstrap, stack.partitions, args.consumer_fetch_wait_ms
    )
    reader = consume(
        consumer,
        tracker,
        stop,
        poll_interval_s=args.consumer_poll_ms / 1000,
        arrival_times=args.arrival_times,
    )
    tasks = [asyncio.create_task(reader)]
    cometd: dict[int, float] = {}
    client = None
    if args.cometd:
        client = await subscribe_cometd(stack.emulator)
        tasks.append(asyncio.create_task(listen_cometd(client, cometd, stop)))
    try:
        people = consent_per_person(stack.emulator.org)
        flipper = Flipper(stack.emulator.org, tracker, people)
        started = time.monotonic()
        await flipper.run(rate=min(args.rate, 200.0), count=len(people))
        await wait_matched(tracker, args.grace)
        eligible = flipper.keep_matched()
        print(
            f"calibration: {len(people):,} persons flipped once, {len(eligible):,} changed a cell"
            f" ({time.monotonic() - started:.1f} s)"
        )
        tracker.reset()
        idle = await idle_cpu(stack, seconds=5.0)
        before, cpu_before = await counters(stack)
        phase_started = time.monotonic()
        made, seconds, waits = await flipper.run(rate=args.rate, duration=args.duration)
        await wait_matched(tracker, args.grace)
        after, cpu_after = await counters(stack)
        phase = time.monotonic() - phase_started
        cpu = {
            name: (
                ran - cpu_before[name][0],
                wait - cpu_before[name][1],
                (ran - cpu_before[name][0] - idle[name] * phase) / max(made, 1) * 1000,
            )
            for name, (ran, wait) in cpu_after.items()
        }
        print_report(
            args,
            tracker,
            made=made,
            seconds=seconds,
            waits=waits,
            cometd=cometd,
            before=before,
            after=after,
            cpu=cpu,
        )
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await task
        if client is not None:
            await client.close()
        await consumer.stop()


async def run(args: argparse.Namespace, stack: BenchStack) -> None:
    started = time.monotonic()
    report = await asyncio.to_thread(stack.start_org, args.persons, args.seed)
    print(f"org      {report['persons']} persons, {report['records']} records seeded")
    bootstrap = await asyncio.to_thread(stack.start_broker)
    await create_lawful_topics(bootstrap, stack.partitions)
    redis_url = await asyncio.to_thread(stack.start_redis, args.redis_url)
    print(f"broker   Tansu at {bootstrap}; redis {redis_url}")
    stack.start_role("worker", ["worker", "--tansu-compat"])
    stack.start_role("bridge", ["bridge"])
    for role in stack.roles:
        await asyncio.to_thread(role.wait_ready, 120.0)
    print(f"roles    worker, bridge ready after {time.monotonic() - started:.1f} s")
    took = await asyncio.to_thread(run_backfill, stack, who="bench/latency.py")
    idle = await wait_idle(stack)
    print(f"backfill {took:.1f} s, then the worker was idle after {idle:.1f} s")
    await measure(args, stack)


def main() -> None:
    args = parse_args()
    overrides = dict(item.split("=", 1) for item in args.env)
    state_dir = Path(tempfile.mkdtemp(prefix="lawful-bench-latency-"))
    stack = BenchStack(state_dir, overrides=overrides, profile_dir=args.profile)
    stack.overrides.setdefault("LAWFUL_REDIS__KEY_PREFIX", f"{state_dir.name}:")
    print(f"rate {args.rate:g}/s for {args.duration:g} s; logs in {state_dir / 'logs'}")
    if overrides:
        print("overrides " + " ".join(f"{k}={v}" for k, v in sorted(overrides.items())))
    failed = True
    try:
        asyncio.run(run(args, stack))
        failed = False
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        print("stopping ...")
        stack.stop()
        if args.redis_url:
            drop_keys(args.redis_url, stack.overrides["LAWFUL_REDIS__KEY_PREFIX"])
        if args.profile:
            print_profiles(args.profile)
        if failed or args.keep_logs:
            print(f"logs kept in {state_dir / 'logs'}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


def print_profiles(directory: Path, top: int = 12) -> None:
    """The functions with the most own time in each role's profile."""
    for path in sorted(directory.glob("*.prof")):
        print(f"--- {path.name}: top {top} by own time (tottime)")
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(top)


def drop_keys(url: str, prefix: str) -> None:
    """Remove the bench's keys from a Redis it did not start."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


if __name__ == "__main__":
    main()
