"""The /run_sse response: relays a run's :class:`~kling_ai_30.local.agent.channel.Channel` as `text/event-stream`.

The run lives in its own thread and outlives the response: when the client leaves, or a fault
drops the stream, the response detaches from the channel and the run carries on.
"""

from __future__ import annotations

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kling_ai_30.local.agent.channel import Channel, Control


class SseResponse(Response):
    """ASGI response relaying a channel as `text/event-stream` until the run ends or the client leaves."""

    media_type = "text/event-stream"

    def __init__(self, channel: Channel) -> None:
        super().__init__(status_code=200)
        self.channel = channel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        outcome: Control | None = None

        async def relay() -> None:
            nonlocal outcome
            while True:
                item = await self.channel.get()
                if isinstance(item, Control):
                    outcome = item
                    return
                await send({"type": "http.response.body", "body": item, "more_body": True})

        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch_disconnect)
            await relay()
            group.cancel_scope.cancel()
        self.channel.detach()
        if outcome in (Control.END, Control.CLOSE):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # Control.ABORT (or a client that left): return without finishing the body, so the server
        # closes the connection and the client sees a cut stream.
