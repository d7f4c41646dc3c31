"""The middleware in front of the mega-api routes: the request log and the per-path HTTP faults.

Every request except `/_sim` is recorded with its headers (the bearer value redacted) and status,
so tests can check attribution headers on the real wire; an armed fault can delay a path or answer it with
an HTTP error before the route runs.
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import RecordedRequest
from kling_ai_30.local.state.store import Store


class SimMiddleware:
    """Records every request (bearer value redacted) and applies HTTP error / delay faults."""

    def __init__(self, app: ASGIApp, *, store: Store, faults: Faults, clock: Clock) -> None:
        self.app = app
        self.store = store
        self.faults = faults
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers: dict[str, str] = {}
        authorization = False
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name == "authorization":
                authorization = True
                headers[name] = "Bearer <redacted>"
            else:
                headers[name] = raw_value.decode("latin-1")
        recorded = False

        def record(status: int | None) -> None:
            nonlocal recorded
            recorded = True
            self.store.record_request(
                RecordedRequest(
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    headers=headers,
                    authorization_present=authorization,
                    at=self.clock.now(),
                    status=status,
                )
            )

        async def recording_send(message: Message) -> None:
            # Logged before the client can see the answer, so whoever has read a response finds
            # its request in the log (a stream is logged when it starts, not when it ends).
            if message["type"] == "http.response.start" and not recorded:
                record(int(message["status"]))
            await send(message)

        try:
            delay = self.faults.take_delay(path)
            if delay:
                await anyio.sleep(delay)
            injected = self.faults.take_http_error(path)
            if injected is not None:
                response = JSONResponse(
                    {"code": injected, "message": "Service temporarily unavailable (injected fault).", "data": None},
                    status_code=injected,
                )
                await response(scope, receive, recording_send)
                return
            await self.app(scope, receive, recording_send)
        finally:
            if not recorded:  # no answer was started: the handler failed or the client left first
                record(None)
