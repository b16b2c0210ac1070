"""The HTTPS server: one aiohttp application serving the REST half and the streaming half."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from emulator.admin import admin_errors, install_admin
from emulator.appkeys import ORG, REST_API
from emulator.auth import ConnectedApp
from emulator.auth_api import bearer_validator
from emulator.clock import Clock
from emulator.config import OrgConfig
from emulator.credentials import Credentials, write_credentials
from emulator.http_rest import rest_entry, versions_entry
from emulator.oauth import token_endpoint
from emulator.org import Org
from emulator.rest.router import RestApi
from emulator.soap import soap_login
from emulator.streaming import StreamingConfig, StreamingHub
from emulator.tls import LocalTls, create_tls


def wire_streaming(org: Org, config: StreamingConfig | None = None) -> StreamingHub:
    """Create E2's hub, register CDC entities and platform events, attach it to the org."""
    hub = StreamingHub(config or StreamingConfig(), org.clock.now)
    for entity in sorted(org.store.cdc_entities):
        hub.register_cdc_entity(entity)
    for event in org.schema.platform_events():
        hub.register_platform_event(event.name, {f.name: f.type for f in event.fields.values()})
    org.attach(sink=hub, publisher=hub)
    org.delivery_usage = hub.delivery_usage
    return hub


def build_app(org: Org, hub: StreamingHub | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[admin_errors])
    app[ORG] = org
    app[REST_API] = RestApi()
    app.router.add_post("/services/oauth2/token", token_endpoint)
    app.router.add_post("/services/Soap/u/{version}", soap_login)
    app.router.add_get("/services/data", versions_entry)
    app.router.add_get("/services/data/", versions_entry)
    app.router.add_route("*", "/services/data/{version}", rest_entry)
    app.router.add_route("*", "/services/data/{version}/{tail:.*}", rest_entry)
    install_admin(app)
    if hub is not None:
        hub.install(app, validate_bearer=bearer_validator(org))
    return app


def _bound_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _close_leftover_transports(loop: asyncio.AbstractEventLoop) -> None:
    """Close server-side sockets whose TLS peers vanished without close_notify (CPython 3.11
    leaves those transports open after the runner's cleanup, which tests see as leaks)."""
    transports = getattr(loop, "_transports", {})
    for transport in list(transports.values()):
        if transport is not None and not transport.is_closing():
            transport.abort()
    loop.run_until_complete(asyncio.sleep(0.05))


class EmulatorServer:
    """Start/stop the emulator in the running loop (`start`/`astop`) or in a thread
    (`start_in_thread`/`stop`). Writes the CA and credentials files into `state_dir`.

    With `http_port` set, the same application is also served over plain HTTP on `localhost`
    (`http_url`), for clients that cannot be given a CA (aiosfstream_ng)."""

    def __init__(
        self,
        config: OrgConfig | None = None,
        *,
        streaming_config: StreamingConfig | None = None,
        state_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        http_port: int | None = None,
        clock: Clock | None = None,
        before_start: Callable[[Org], None] | None = None,
    ) -> None:
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        app: ConnectedApp | None = None
        if state_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="lawful-emulator-")
            state_dir = Path(self._tempdir.name)
        else:
            state_dir = state_dir.resolve()  # the credentials file names absolute paths
            app = ConnectedApp.load_or_create(state_dir / "connected-app.json")
        self.state_dir = state_dir
        self.org = Org(config, clock=clock, app=app)
        self.hub = wire_streaming(self.org, streaming_config)
        self.host, self.port = host, port
        self.http_port = http_port  # None: no plain-HTTP listener; 0: any free port
        self.http_url: str | None = None
        self.before_start = before_start
        self.tls: LocalTls | None = None
        self.credentials: Credentials | None = None
        self.credentials_path: Path | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._autosave: asyncio.Task[None] | None = None

    @property
    def instance_url(self) -> str:
        return self.org.instance_url

    @property
    def ca_path(self) -> Path:
        if self.tls is None:
            raise RuntimeError("the emulator is not started")
        return self.tls.ca_path

    async def start(self) -> None:
        self.tls = create_tls(self.state_dir)
        sock = _bound_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.org.instance_url = f"https://localhost:{self.port}"
        self._load_data()
        if self.before_start is not None:
            self.before_start(self.org)
        self._runner = web.AppRunner(build_app(self.org, self.hub), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=self.tls.context).start()
        if self.http_port is not None:
            plain = _bound_socket(self.host, self.http_port)
            self.http_port = plain.getsockname()[1]
            self.http_url = f"http://localhost:{self.http_port}"
            self.org.http_url = self.http_url
            await web.SockSite(self._runner, plain).start()
        self.credentials_path, self.credentials = write_credentials(
            self.org, self.state_dir, self.tls.ca_path
        )
        path = self.org.config.data_path
        if path is not None and self.org.config.autosave_s > 0:
            from emulator.persistence import autosave  # noqa: PLC0415

            self._autosave = asyncio.create_task(
                autosave(self.org, path, self.org.config.autosave_s)
            )

    def _load_data(self) -> None:
        path = self.org.config.data_path
        if path is not None and path.exists():
            from emulator.persistence import load  # noqa: PLC0415

            load(self.org, path)

    async def astop(self) -> None:
        if self._autosave is not None:
            self._autosave.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosave
            self._autosave = None
        path = self.org.config.data_path
        if path is not None:
            from emulator.persistence import save  # noqa: PLC0415

            save(self.org, path)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- background thread mode (tests) -----------------------------------------------------
    def start_in_thread(self, timeout_s: float = 30.0) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.astop())
            _close_leftover_transports(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="lawful-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("the emulator did not start in time")
        if failure:
            raise failure[0]

    def stop(self) -> None:
        """Stop a server started with start_in_thread()."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._thread = None
            self._loop = None
        if self._tempdir is not None:
            with contextlib.suppress(OSError):
                self._tempdir.cleanup()
            self._tempdir = None
