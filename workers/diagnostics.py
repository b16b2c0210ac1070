"""SIGUSR1 on a running worker prints where it waits, to stderr, with code locations only, never
variable values (Mode's own SIGUSR1 handler prints local variables, which may hold personal data):
- every thread's traceback, at once, from a C-level handler (faulthandler), which still works
  when the event loop is blocked;
- then, if the loop is alive, every asyncio task's stack.
SIGUSR2 is ignored (Mode would start an interactive debugger on the process's stdin)."""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys

import structlog

log = structlog.get_logger("lawful.diagnostics")


def dump_tasks() -> None:
    """Every task of the running loop with its stack (no locals)."""
    tasks = asyncio.all_tasks()
    sys.stderr.write(f"--- {len(tasks)} asyncio tasks ---\n")
    for task in sorted(tasks, key=lambda t: t.get_name()):
        sys.stderr.write(f"task {task.get_name()} done={task.done()}\n")
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


def _sigusr2() -> None:
    log.warning("sigusr2_ignored")


def install_signal_diagnostics(loop: asyncio.AbstractEventLoop) -> None:
    """Replace Mode's SIGUSR1/SIGUSR2 handlers (call after the worker installed its own)."""
    loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
    loop.add_signal_handler(signal.SIGUSR2, _sigusr2)
    # C level, chained to the loop's handler above: threads first, even with a blocked loop.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=True)
