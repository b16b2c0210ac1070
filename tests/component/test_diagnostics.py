"""SIGUSR1 prints thread and task stacks (code locations, no values); SIGUSR2 is ignored."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal

import pytest

from workers.diagnostics import install_signal_diagnostics

pytestmark = pytest.mark.component


async def test_sigusr1_prints_threads_and_tasks_without_local_values(
    capfd: pytest.CaptureFixture[str],
) -> None:
    loop = asyncio.get_running_loop()
    secret = "jane.doe@example.com"  # a local a stack dump with variables would show

    async def waiting_for_work(value: str) -> None:
        await asyncio.sleep(60 if value else 0)

    task = asyncio.create_task(waiting_for_work(secret), name="busy-agent")
    install_signal_diagnostics(loop)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)  # Mode would start a debugger; must be ignored
        await asyncio.sleep(0.2)
        err = capfd.readouterr().err
    finally:
        task.cancel()
        loop.remove_signal_handler(signal.SIGUSR1)
        loop.remove_signal_handler(signal.SIGUSR2)
        faulthandler.unregister(signal.SIGUSR1)
    assert "most recent call first" in err  # faulthandler: every thread
    assert "asyncio tasks" in err
    assert "task busy-agent" in err
    assert "waiting_for_work" in err
    assert secret not in err
