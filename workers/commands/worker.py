"""`lawful worker`: the Faust worker (record replica, person aggregate, DLQ, wake-ups, health)."""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING, Any, NoReturn

import structlog

from schemas.errors import ConfigError
from workers.settings import Settings, load_settings

if TYPE_CHECKING:
    import faust

    from workers.pipeline.ports import RecordReader

log = structlog.get_logger("lawful.worker")


def rest_reader(settings: Settings) -> RecordReader | None:
    """The Salesforce REST adapter, or None when no credentials are configured."""
    from workers.salesforce.rest import SimpleSalesforceRest  # noqa: PLC0415 - heavy import

    try:
        return SimpleSalesforceRest.from_settings(settings.salesforce)
    except ConfigError as exc:
        log.warning("salesforce_not_configured", error=str(exc)[:200])
        return None


def diagnostic_worker_class() -> type[faust.Worker]:
    """`faust.Worker` whose SIGUSR1 prints stacks without local variables (workers.diagnostics)."""
    import faust  # noqa: PLC0415

    from workers.diagnostics import install_signal_diagnostics  # noqa: PLC0415

    class DiagnosticWorker(faust.Worker):
        def install_signal_handlers(self) -> None:
            super().install_signal_handlers()
            install_signal_diagnostics(self.loop)

    return DiagnosticWorker


def tune_gc(threshold: tuple[int, int, int]) -> None:
    """Collect less often, and never walk what start-up loaded (modules, settings, Faust)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)


def run_worker(settings: Settings, *, tansu_compat: bool = False) -> NoReturn:
    """Build the pipeline and run a Faust worker until SIGTERM/SIGINT (graceful stop)."""
    # Imported here so that `lawful --help` and the other commands do not load Faust.
    from schemas.aggregate import set_state_cache_bytes  # noqa: PLC0415
    from workers.pipeline.engine import engine_binding  # noqa: PLC0415
    from workers.pipeline.links import LinkStore  # noqa: PLC0415
    from workers.pipeline.logs import (  # noqa: PLC0415
        configure_logging,
        configure_structlog,
        logging_dict_config,
    )
    from workers.pipeline.pipeline import Pipeline  # noqa: PLC0415
    from workers.redis_client import redis_client  # noqa: PLC0415

    level = settings.pipeline.log_level
    configure_logging(level)
    if tansu_compat:
        from workers.pipeline import tansu_compat as compat  # noqa: PLC0415 - test/dev only

        compat.apply()
    loop = None
    if settings.pipeline.uvloop:
        import uvloop  # noqa: PLC0415

        loop = uvloop.new_event_loop()
    redis = redis_client(settings)
    pipeline = Pipeline(
        settings,
        engine_binding(LinkStore(redis, settings.redis.key_prefix)),
        redis=redis,
        reader=rest_reader(settings),
    )
    configure_structlog()
    tune_gc(settings.pipeline.gc_threshold)
    set_state_cache_bytes(settings.pipeline.state_cache_bytes)
    worker = diagnostic_worker_class()(
        pipeline.app,
        loglevel=level,
        logging_config=logging_dict_config(level),
        quiet=True,
        loop=loop,
        redirect_stdouts=False,
    )
    worker.execute_from_commandline()  # exits the process when the worker stops


def _run(args: argparse.Namespace) -> int:
    return run_worker(load_settings(), tansu_compat=args.tansu_compat)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the streaming worker (Faust)",
        description="Consume lawful.sf-cdc.v1 and lawful.person-events.v1, produce permissions, "
        "changes, audit, alerts and dead letters; health on the web port (LAWFUL_WEB__PORT).",
    )
    parser.add_argument(
        "--tansu-compat",
        action="store_true",
        help="test/dev only: LeaveGroup at generation 0 for fast restarts on Tansu",
    )
    parser.set_defaults(func=_run)
