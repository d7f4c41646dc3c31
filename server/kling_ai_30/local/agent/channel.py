"""The hand-off from a run's thread to the HTTP response on the event loop.

A run puts framed events (and a final :class:`Control`) into its :class:`Channel`; the response
relays them. When the client goes away, or a fault drops the stream, the channel is detached and
later items are dropped, while the run carries on.
"""

from __future__ import annotations

import asyncio
import enum
import threading


class Control(enum.Enum):
    """Non-data items a run puts in its channel."""

    END = "end"  # normal end: close the response cleanly
    ABORT = "abort"  # drop: cut the connection without finishing the body
    CLOSE = "close"  # drop: end the response cleanly, though the run goes on


class Channel:
    """Thread → event loop hand-off of one run's frames; silently drops items once detached."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[bytes | Control] = asyncio.Queue()
        self._lock = threading.Lock()
        self._attached = True

    @property
    def attached(self) -> bool:
        with self._lock:
            return self._attached

    def put(self, item: bytes | Control) -> None:
        """Queue an item for the response (any thread)."""
        with self._lock:
            if not self._attached:
                return
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                self._attached = False

    def detach(self) -> None:
        """Stop relaying; the run keeps going."""
        with self._lock:
            self._attached = False

    async def get(self) -> bytes | Control:
        return await self._queue.get()
