"""The figures bench/latency.py prints: latencies per hop and the worker's counters."""

from __future__ import annotations

import argparse
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.latency_tracking import Change, Tracker, percentile, summary

TARGET_P99_MS = 1000.0


COUNTERS = {
    "lawful_events_in_total": ("in", "topic"),
    "lawful_events_out_total": ("out", "topic"),
    "lawful_handler_duration_seconds_sum": ("handler_sum", "agent"),
    "lawful_handler_duration_seconds_count": ("handler_count", "agent"),
    "lawful_bridge_events_received_total": ("bridge received", "channel"),
    "lawful_bridge_events_acknowledged_total": ("bridge acknowledged", "channel"),
}


def scrape(port: int) -> str:
    """A role's /metrics text ("" when it does not answer within 5 s)."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except requests.RequestException:
        return ""


def cpu_seconds(pids: dict[str, int | None]) -> dict[str, tuple[float, float]]:
    """(seconds on a CPU, seconds runnable but waiting for one) of each process so far, summed
    over its threads (Linux /proc/<pid>/task/*/schedstat; zeros when unreadable)."""
    out: dict[str, tuple[float, float]] = {}
    for name, pid in pids.items():
        ran = waited = 0
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat") if pid else ():
            try:
                fields = stat.read_text().split()
                ran, waited = ran + int(fields[0]), waited + int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        out[name] = (ran / 1e9, waited / 1e9)
    return out


def thread_cpu_seconds(pid: int, tid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting) of one thread (zeros when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
        return int(fields[0]) / 1e9, int(fields[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0


def worker_counters(text: str) -> dict[str, float]:
    """`in <topic>`, `out <topic>`, `handler_sum <agent>`, `handler_count <agent>` and the
    bridge's `bridge received|acknowledged <channel>`."""
    counters: dict[str, float] = {}
    names = COUNTERS
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in names:
                kind, label = names[sample.name]
                key = f"{kind} {sample.labels.get(label, '')}"
                counters[key] = counters.get(key, 0.0) + sample.value
    return counters


def _hop(changes: list[Change], start: str, end: str) -> list[float]:
    values = []
    for change in changes:
        a, b = getattr(change, start), getattr(change, end)
        if a is not None and b is not None:
            values.append(b - a)
    return values


def print_report(
    args: argparse.Namespace,
    tracker: Tracker,
    *,
    made: int,
    seconds: float,
    waits: float,
    cometd: dict[int, float],
    before: dict[str, float],
    after: dict[str, float],
    cpu: dict[str, tuple[float, float, float]],
) -> None:
    changes = tracker.changes
    matched = [c for c in changes if c.done_at is not None]
    bridged = [c for c in changes if c.cdc_at is not None]
    print(f"changes made       {made:>8,}  in {seconds:.1f} s = {made / seconds:,.1f}/s achieved")
    print(f"                   (asked {args.rate:g}/s; {waits:.1f} s waiting for a free person)")
    print(f"CDC on sf-cdc.v1   {len(bridged):>8,}  (stray CDC messages: {tracker.stray_cdc:,})")
    print(f"changes matched    {len(matched):>8,}")
    print(
        f"lost               {made - len(matched):>8,}  (no permission change {args.grace:g} s "
        f"after the last change; {made - len(bridged):,} of them never reached sf-cdc.v1)"
    )
    print(f"permission-change messages read: {tracker.permission_messages:,}")
    print(f"{'latency (ms)':<46}{'p50':>9} / {'p95':>8} / {'p99':>8} / {'max':>8}")
    rows = [
        ("change -> lawful.permission-changes.v1", _hop(changes, "sent", "done_at")),
        ("  baseline: change -> lawful.sf-cdc.v1", _hop(changes, "sent", "cdc_at")),
        ("  worker: sf-cdc.v1 -> permission-changes", _hop(changes, "cdc_at", "done_at")),
        ("    records: sf-cdc.v1 -> person-events.v1", _hop(changes, "cdc_at", "person_at")),
        ("    persons: person-events -> permission-chg", _hop(changes, "person_at", "done_at")),
    ]
    if args.cometd:
        org = [cometd[c.replay_id] - c.sent for c in changes if c.replay_id in cometd]
        rows.insert(2, ("  baseline: change -> aiosfstream_ng", org))
    for name, values in rows:
        print(f"{name:<46}{summary(values)}   (n={len(values):,})")
    end_to_end = _hop(changes, "sent", "done_at")
    if end_to_end:
        value = percentile(end_to_end, 99) * 1000
        verdict = "met" if value < TARGET_P99_MS and len(matched) == made else "MISSED"
        print(f"target p99 < {TARGET_P99_MS:.0f} ms with nothing lost: {verdict}")
    if waits > 0:
        print(
            f"note: {args.rate:g}/s was not reached: every person had a change in flight; the"
            " pipeline's throughput is below the asked rate, and the latency is then about"
            " (persons in flight) / throughput (Little's law), growing with --persons"
        )
    print("per process, measured phase + grace: s on a CPU / s runnable but waiting for a CPU /")
    print("  CPU ms per change: all of it, and above the process's idle use (sampled 5 s before)")
    print(
        "  (this process: the emulator's thread serves CometD and REST; the bench's threads make"
        " the changes through the org's API, i.e. commit + CDC, and read Kafka)"
    )
    for name, (ran, wait, per_change) in cpu.items():
        gross = ran / max(made, 1) * 1000
        print(f"  {name:<16} {ran:7.1f} / {wait:7.1f} / {gross:6.2f} ms, {per_change:6.2f} ms")
    gross_total = sum(ran for ran, _, _ in cpu.values()) / max(made, 1) * 1000
    total = sum(per_change for _, _, per_change in cpu.values())
    print(
        f"  {'all':<16} {gross_total:22.2f} ms, {total:6.2f} ms"
        f" = {1000 / max(gross_total, 1e-9):,.0f} or {1000 / max(total, 1e-9):,.0f} changes/s"
        " per fully used core"
    )
    print("bridge and worker during the measured phase (counter deltas):")
    for key in sorted(after):
        delta = after[key] - before.get(key, 0.0)
        if key.startswith(("in ", "out ", "bridge ")) and delta:
            print(f"  {key:<50} {delta:>10,.0f}")
    for key in sorted(after):
        if key.startswith("handler_count "):
            agent = key.split(" ", 1)[1]
            count = after[key] - before.get(key, 0.0)
            total = after[f"handler_sum {agent}"] - before.get(f"handler_sum {agent}", 0.0)
            if count:
                print(f"  handler {agent:<42} {count:>10,.0f} x {total / count * 1000:.2f} ms")
