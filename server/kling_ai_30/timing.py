"""The two injected notions of time. Every wait and every clock reading in the client, the
conversation, the jobs and the server goes through one of these, so tests replace them with a
fake clock and a wait of a few minutes runs in microseconds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
"""``anyio.sleep`` in the program."""
Clock = Callable[[], float]
"""Seconds: ``time.time`` where the value is stored or compared across processes, ``time.monotonic``
for durations inside one."""
