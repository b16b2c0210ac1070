"""Guards for the private internals the worker patches (broker.md §12.8, §11): these fail when a
faust-streaming or aiokafka upgrade removes or renames them."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.consumer.group_coordinator import GroupCoordinator  # type: ignore[import-untyped]
from faust.transport.drivers import aiokafka as faust_aiokafka

from workers.pipeline import tansu_compat
from workers.pipeline.fetch import AIOKAFKA_FETCH_WAIT_ATTRIBUTE, PATCHED_INTERNALS

pytestmark = pytest.mark.component


@pytest.mark.parametrize(("owner", "attribute"), PATCHED_INTERNALS)
def test_patched_faust_attributes_exist(owner: object, attribute: str) -> None:
    assert callable(getattr(owner, attribute, None)), f"{owner!r}.{attribute} is gone"


def test_faust_still_hard_codes_the_fetch_wait_we_override() -> None:
    source = inspect.getsource(faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer)
    assert "fetch_max_wait_ms=1500" in source  # if Faust made it a setting, use the setting


def test_aiokafka_start_reads_the_fetch_wait_attribute() -> None:
    assert AIOKAFKA_FETCH_WAIT_ATTRIBUTE in inspect.getsource(AIOKafkaConsumer.__init__)
    assert f"fetch_max_wait_ms=self.{AIOKAFKA_FETCH_WAIT_ATTRIBUTE}" in inspect.getsource(
        AIOKafkaConsumer.start
    )


def test_worker_consumer_gets_the_configured_fetch_wait(tmp_path: Path) -> None:
    # In a child process: Faust's consumer thread owns an event loop we would otherwise leak.
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from workers.pipeline.app import build_faust_app
        from workers.settings import KafkaSettings, PipelineSettings, Settings

        async def main():
            settings = Settings(
                kafka=KafkaSettings(bootstrap="kafka://127.0.0.1:1"),
                pipeline=PipelineSettings(fetch_max_wait_ms=123),
                data_dir=Path({str(tmp_path)!r}),
            )
            app = build_faust_app(settings)
            app.finalize()
            thread = app.consumer._thread
            consumer = thread._create_worker_consumer(app.transport)
            print(type(thread).__name__, consumer.{AIOKAFKA_FETCH_WAIT_ATTRIBUTE})
            await consumer.stop()

        asyncio.run(main())
        """
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["FastFetchConsumerThread", "123"]


def test_leave_group_shim_target_exists() -> None:
    original = inspect.getsource(tansu_compat._ORIGINAL)
    assert "self.generation > 0" in original  # the condition the shim works around
    assert inspect.iscoroutinefunction(GroupCoordinator._maybe_leave_group)
