"""SIGUSR1 on a running process: print every asyncio task's stack and every thread's traceback to
stderr (code locations only, never variable values), to see where a stalled worker waits."""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys


def dump_stacks() -> None:
    """Every task of the running loop, then every thread (faulthandler)."""
    tasks = asyncio.all_tasks()
    sys.stderr.write(f"--- {len(tasks)} asyncio tasks ---\n")
    for task in sorted(tasks, key=lambda t: t.get_name()):
        sys.stderr.write(f"task {task.get_name()} done={task.done()}\n")
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.write("--- threads ---\n")
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()


async def install_stack_dump() -> None:
    """An app task: SIGUSR1 -> `dump_stacks` on the running loop (no-op where unsupported)."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGUSR1, dump_stacks)
    except (NotImplementedError, RuntimeError, ValueError):
        return
