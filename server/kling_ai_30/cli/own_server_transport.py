"""A transport for an offline command that could not answer on the offline backend's home address."""

from __future__ import annotations

import httpx


class ToOwnServer(httpx.AsyncBaseTransport):
    """Requests for the offline backend's home address go to this command's own server instead."""

    def __init__(self, home_url: str, own_url: str) -> None:
        self._home = httpx.URL(home_url)
        self._own = httpx.URL(own_url)
        self._network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (request.url.host, request.url.port) == (self._home.host, self._home.port):
            # Only the port changes: the Host header still names the home address, so every URL the
            # backend hands out (media, renders) is the same whichever command served it.
            request.url = request.url.copy_with(port=self._own.port)
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()
