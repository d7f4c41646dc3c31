"""Put the local backend's ASGI app on a loopback socket with uvicorn.

`run_in_thread` is for tests and the embedded demo (background thread, port discovered from the
bound socket); `serve` blocks for the `kling-ai-30 sim` command.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

import uvicorn
from starlette.types import ASGIApp

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787  # not 8765: `kling-ai-30 serve --http` uses that
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0
# Open SSE streams get this long to finish when the server stops, then they are cut.
GRACEFUL_SHUTDOWN_S = 2


class Servable(Protocol):
    """What the runner serves: anything with an ASGI app, such as a :class:`~kling_ai_30.local.LocalBackend`."""

    @property
    def app(self) -> ASGIApp: ...


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say so, and
    # without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()  # a port in use must not leave an open socket behind
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _server(backend: Servable) -> uvicorn.Server:
    config = uvicorn.Config(
        backend.app,
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,  # leave the host program's logging configuration alone
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return uvicorn.Server(config)


def _warn_if_exposed(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        logger.warning("the local backend has no real security; it is listening on %s, not loopback", host)


@contextmanager
def run_in_thread(backend: Servable, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Serve `backend` from a background thread; yields the base URL (port 0 = any free port)."""
    _warn_if_exposed(host)
    sock = _bind(host, port)
    server = _server(backend)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sim-http", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the local backend's HTTP server failed to start")
            if time.monotonic() > deadline:
                raise RuntimeError("the local backend's HTTP server did not start in time")
            time.sleep(0.005)
        yield _url(sock, host)
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()


def serve(
    backend: Servable,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `backend` in the foreground until SIGINT or SIGTERM; `on_ready` gets the base URL first.

    Returns normally after a signal (uvicorn shuts down gracefully, then re-raises the signal; it is
    caught here), so the caller's `with LocalBackend()` still cleans up.
    """
    _warn_if_exposed(host)
    sock = _bind(host, port)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        if on_ready is not None:
            on_ready(_url(sock, host))
        _server(backend).run(sockets=[sock])
    except (KeyboardInterrupt, _Stop):
        logger.info("local backend stopped")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sock.close()


class _Stop(Exception):
    """SIGTERM, turned into an exception so `serve` can return."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop
