"""Serving the emulator over real HTTP: in a background thread for tests and the ``local``
cloud option (:class:`RunningEmulator`), or in the foreground for ``reconciler emulator serve``
(:func:`serve_forever`).

The socket is bound before uvicorn starts (port 0 picks a free loopback port), so the URL is
known at once and nothing races for a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Protocol

import uvicorn

from reconciler.clock import Clock, clock_for_scale
from reconciler.emulator.admin_client import AdminClient
from reconciler.emulator.app import create_app
from reconciler.emulator.seed import EmulatorConfig
from reconciler.emulator.service import Emulator

_STARTUP_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


class _QuietBrokenResponses(logging.Filter):
    """uvicorn logs an error for every response the emulator breaks on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietBrokenResponses) for f in logger.filters):
        logger.addFilter(_QuietBrokenResponses())


class _Server(uvicorn.Server):
    """uvicorn, made quick to start and stop (tests start hundreds): it reports readiness
    through an event and wakes at once when asked to stop instead of on its 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick refreshes the Date header every 10th
            assert self._wake is not None
            # Real seconds on purpose: this is the server's housekeeping, not emulated time.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        # Let in-flight responses finish (idle keep-alive connections close at once).
        for _ in range(200):
            if not self.server_state.connections:
                break
            await asyncio.sleep(0.01)
        for server in self.servers:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout=1.0)

    def request_stop(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP; without it Nagle delays every response by ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _uvicorn_config(emulator: Emulator) -> uvicorn.Config:
    _install_log_filter()
    return uvicorn.Config(
        create_app(emulator),
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        http="h11",
        ws="none",
        loop="asyncio",
    )


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class RunningEmulator:
    """A local Soda Cloud on a loopback port, served from a background thread.

    ``with RunningEmulator(config, clock=ManualClock()) as cloud:`` then talk HTTP to
    ``cloud.url`` with ``cloud.auth``, and steer it with ``cloud.admin``.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        data_file: Path | None = None,
        clock: Clock | None = None,
        time_scale: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if clock is not None and time_scale is not None:
            raise ValueError("give a clock or a time scale, not both")
        self.config = config or EmulatorConfig()
        self.clock: Clock = clock or clock_for_scale(time_scale or 1.0)
        self.data_file = data_file
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._admin: AdminClient | None = None
        self._emulator: Emulator | None = None
        self._error: BaseException | None = None
        self.url = ""
        key = self.config.admin_key()
        self.api_key_id = key.id
        self.api_key_secret = key.secret

    @property
    def reporting_url(self) -> str:
        """The Reporting API base (``/v1`` on the same port)."""
        return f"{self.url}/v1"

    @property
    def auth(self) -> tuple[str, str]:
        """HTTP Basic credentials of the seed's first admin key."""
        return (self.api_key_id, self.api_key_secret)

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            if not self.url:
                raise RuntimeError("the emulator is not running")
            self._admin = AdminClient(self.url)
        return self._admin

    def start(self) -> RunningEmulator:
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        emulator = Emulator(self.config, clock=self.clock, data_file=self.data_file)
        self._emulator = emulator
        self._socket = bind_socket(self._host, self._port)
        self.url = url_of(self._socket)
        server = _Server(_uvicorn_config(emulator))
        self._server = server
        sock = self._socket

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as error:  # reported to the starting thread
                self._error = error
            finally:
                server.ready.set()

        self._thread = threading.Thread(target=run, name=f"emulator {self.url}", daemon=True)
        self._thread.start()
        if not server.ready.wait(_STARTUP_TIMEOUT) or self._error is not None:
            url = self.url
            self.stop()
            raise RuntimeError(f"the emulator did not start on {url}: {self._error}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port and the thread; safe to call twice."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._emulator is not None:
            self._emulator.close()
            self._emulator = None
        self._server = None
        self.url = ""

    def __enter__(self) -> RunningEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmulatorFactory(Protocol):
    """Starts an emulator that the caller need not stop (the fixture ``start_emulator``)."""

    def __call__(
        self,
        seed: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        time_scale: float | None = None,
        data_file: Path | None = None,
    ) -> RunningEmulator: ...


def start_local_cloud(
    *,
    data_file: Path,
    time_scale: float = 1.0,
    seed: EmulatorConfig | None = None,
    clock: Clock | None = None,
) -> RunningEmulator:
    """The ``local`` cloud option: an in-process emulator persisting to ``data_file`` (e.g.
    ``.reconciler/local-cloud.json``), on a free loopback port. The caller stops it.

    Use ``.url`` as the host, ``.reporting_url`` for the Reporting API, ``.auth`` as the key,
    and ``.clock`` for waits, so client and server agree on the time scale. A ``clock``
    given (a simulated one) is used instead of ``time_scale``.
    """
    if clock is not None:
        return RunningEmulator(seed, data_file=data_file, clock=clock).start()
    return RunningEmulator(seed, data_file=data_file, time_scale=time_scale).start()


def serve_forever(emulator: Emulator, *, sock: socket.socket) -> None:
    """Serve in the calling (main) thread until Ctrl-C or SIGTERM, then stop its agent."""
    server = uvicorn.Server(_uvicorn_config(emulator))
    try:
        server.run(sockets=[sock])
    finally:
        emulator.close()
