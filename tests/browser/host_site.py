"""The test host's web site: the chat page, the sandbox proxy on another origin, and ``/mcp``.

- ``http://127.0.0.1:P/host.html`` and ``/host.js``: the host page (``host/``, built by ``npm run build``);
- ``http://localhost:P/sandbox.html``: the outer sandbox proxy. ``localhost`` and ``127.0.0.1`` are
  different origins and sites, so the view runs cross-origin, out of process, as in a real host;
  the CSP under test (``?policy=``) is in its HTTP header, which the inner frame inherits;
- ``/mcp``: relayed, streaming, to the real ``kling-ai-30 serve --http``, so the page's MCP client
  talks same-origin (the product needs no CORS). The site adds the server's bearer token when it
  has one, as a host keeps its credentials: the page, and so the view, never holds it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

HOST_DIR = Path(__file__).resolve().parent / "host"
HOST_JS = HOST_DIR / "dist" / "host.js"
CSP = {
    # What ext-apps' reference host (examples/basic-host/src/csp.ts) sets when a view declares no domains.
    "basic": (
        "default-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob: data:; "
        "style-src 'self' 'unsafe-inline' blob: data:; img-src 'self' data: blob:; font-src 'self' data: blob:; "
        "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; frame-src 'none'; "
        "object-src 'none'; base-uri 'none'"
    ),
    # The spec's restrictive default when `ui.csp` declares nothing (2026-01-26, "Host Behavior"): no blob:.
    "spec-default": (
        "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; media-src 'self' data:; connect-src 'none'"
    ),
}
_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "accept-encoding"}


def _app(upstream: str, authorization: str | None) -> Starlette:
    client = httpx.AsyncClient(timeout=None)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with client:
            yield

    async def host_html(request: Request) -> Response:
        return FileResponse(HOST_DIR / "host.html", headers={"Cache-Control": "no-store"})

    async def host_js(request: Request) -> Response:
        return FileResponse(HOST_JS, media_type="text/javascript")

    async def sandbox(request: Request) -> Response:
        if not request.headers.get("host", "").startswith("localhost:"):
            return PlainTextResponse("the sandbox lives on the other origin (localhost)", status_code=404)
        csp = CSP[request.query_params.get("policy", "basic")]
        html = (HOST_DIR / "sandbox.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})

    async def mcp(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        if authorization is not None:
            headers["authorization"] = authorization
        forwarded = client.build_request(request.method, upstream, headers=headers, content=await request.body())
        reply = await client.send(forwarded, stream=True)
        back = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
        return StreamingResponse(
            reply.aiter_raw(), status_code=reply.status_code, headers=back, background=BackgroundTask(reply.aclose)
        )

    return Starlette(
        routes=[
            Route("/host.html", host_html),
            Route("/host.js", host_js),
            Route("/sandbox.html", sandbox),
            Route("/mcp", mcp, methods=["GET", "POST", "DELETE"]),
        ],
        lifespan=lifespan,
    )


class HostSite:
    """``with HostSite(upstream) as url``: the site on a free loopback port, in a thread."""

    def __init__(self, upstream: str, *, authorization: str | None = None) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        config = uvicorn.Config(_app(upstream, authorization), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="host-site", daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test host's site did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
