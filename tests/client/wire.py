"""A real loopback connection to the local backend that can lose what the network can lose.

``httpx.MockTransport`` answers in place of the backend, so it cannot show a request that reached
the backend and whose answer never came back. This transport forwards every request to the local
backend for real, and on demand loses the answer afterwards (a dropped connection, a read timeout,
a gateway's 5xx) or sends the request somewhere nothing listens (a refused connection).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import httpx


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class _Rule:
    path: str
    times: int
    failure: type[httpx.TransportError] | int | None = None
    """What replaces the answer: an exception, or a status a gateway sends instead."""
    elsewhere: str | None = None
    """Send the request to this base URL instead (a closed port: the connection is refused)."""


class LossyWire(httpx.AsyncBaseTransport):
    """Forwards to the real server; armed rules lose answers or redirect requests, ``times`` each."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._rules: list[_Rule] = []
        self._closed = False

    def lose_answer(self, path: str, failure: type[httpx.TransportError] | int, times: int = 1) -> None:
        """Deliver the next ``times`` requests to ``path``, then raise ``failure`` (or answer with it)."""
        self._rules.append(_Rule(path, times, failure=failure))

    def refuse(self, path: str, times: int = 1_000) -> None:
        """Send requests to ``path`` to a closed port, so their connection is refused for real."""
        self._rules.append(_Rule(path, times, elsewhere=closed_port_url()))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        rule = next((r for r in self._rules if r.times > 0 and request.url.path == r.path), None)
        if rule is None:
            return await self._inner.handle_async_request(request)
        rule.times -= 1
        if rule.elsewhere is not None:
            target = httpx.URL(rule.elsewhere)
            moved = request.url.copy_with(host=target.host, port=target.port)
            return await self._inner.handle_async_request(
                httpx.Request(request.method, moved, headers=request.headers, stream=request.stream)
            )
        response = await self._inner.handle_async_request(request)
        await response.aclose()  # the backend has the request and has started answering; drop it
        if isinstance(rule.failure, int):
            return httpx.Response(rule.failure, json={"detail": "Bad Gateway"}, request=request)
        assert rule.failure is not None
        raise rule.failure("the answer was lost on the way back", request=request)

    async def aclose(self) -> None:
        # The client closes its transport once per inner client (API and CDN).
        if not self._closed:
            self._closed = True
            await self._inner.aclose()
