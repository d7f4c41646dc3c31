"""``serve --http``: the MCP server over streamable HTTP, made safe to share.

In order: the options are checked (``http_options``: ``--no-auth`` only on loopback), the socket is
bound (so ``--port 0`` works and a port in use fails before anything else), who may call is decided
(``http_access``: the server's token, a token file, several people's tokens or an OAuth issuer), the
SDK app is built with the Host/Origin checks on for every bind (``http_hosts``), the connection
snippet is printed (``connection_snippet``), and uvicorn serves until SIGTERM or Ctrl-C.

Operations: ``GET /healthz`` answers without authentication and says nothing secret; logs are JSON
lines on stderr with the principal and job ids (``json_logs``); on SIGTERM open streams get
``HTTP_SHUTDOWN_GRACE_S`` to finish, the workspace stops its jobs (they stay ``running`` on disk, and
the next server resumes them without sending anything twice), and the command returns normally.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..config import Settings
from ..policy import HTTP_SHUTDOWN_GRACE_S
from .connection_snippet import startup_text
from .host import WorkspaceHost
from .http_access import open_access
from .http_hosts import transport_security, url_host
from .http_options import HttpOptions
from .json_logs import use_json_logs
from .server import build_server

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"


async def serve_http(
    options: HttpOptions,
    settings: Settings,
    *,
    out: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Serve until stopped; ``ConfigError`` for unusable options, ``OSError`` when the address cannot
    be bound (the caller says which port or host to change). ``transport`` carries the requests to
    the backend (``--local``: to this process's own local backend)."""
    out = out if out is not None else sys.stdout
    options.check()
    use_json_logs()
    sock = _bind(options.host, options.port)
    try:
        port = int(sock.getsockname()[1])
        endpoint = options.public_url or f"http://{_reachable_name(options.host)}:{port}{MCP_PATH}"
        access = await open_access(options, settings, endpoint)
        security = transport_security(options.host, options.allow_hosts, options.public_url)
        server = build_server(
            settings, transport=transport, auth=access.auth, token_verifier=access.verifier, accounts=access.accounts
        )
        _add_health_check(server)
        app = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security, host=options.host)
        allowed = [name for name in security.allowed_hosts if not name.endswith(":*")]
        text = startup_text(
            endpoint,
            access,
            interactive=out.isatty(),
            beyond_loopback=options.beyond_loopback,
            allowed_hosts=allowed,
        )
        print(text, file=out, flush=True)
        if options.beyond_loopback:
            log.warning(
                "listening on %s: other machines can reach this server (plain HTTP; put TLS in front)", options.host
            )
        log.info(
            "serving %s on %s:%d (callers: %s, accounts: %s)",
            endpoint,
            options.host,
            port,
            access.way,
            "separate" if access.accounts.separate else "shared",
        )
        config = uvicorn.Config(
            app,
            log_config=None,  # keep the JSON logging set up above
            access_log=False,  # one line per tool call instead (tool_call), with the principal
            timeout_graceful_shutdown=int(HTTP_SHUTDOWN_GRACE_S),
            ws="none",
        )
        await _Server(config).serve(sockets=[sock])
        log.info("stopped; running jobs are saved and resume at the next start")
    finally:
        sock.close()


def _add_health_check(server: MCPServer[WorkspaceHost]) -> None:
    version = server.version

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "name": "kling-ai-30", "version": version})

    # The SDK serves custom routes without authentication: a load balancer or a supervisor checks this.
    server.custom_route(HEALTH_PATH, methods=["GET"])(health)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn's own, without re-raising the signal once shut down: re-raised, SIGTERM would end the
        process before this command returns, so it could not exit 0 after saving its jobs."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _reachable_name(host: str) -> str:
    """The name to put in the printed URL: the host bound, or this machine's name for a wildcard bind."""
    if host in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    return url_host(host)
