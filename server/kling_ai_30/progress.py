"""The one shape of progress, from the work to whoever shows it (an MCP progress notification, the
command line's status line, a task's status message)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import anyio


@dataclass(frozen=True)
class Progress:
    """One progress report."""

    message: str
    """The line to show: "Setting things up...", "⏳ Still working...", "⏳ Rendering… 40%"."""
    fraction: float | None = None
    """0..1 when the work can tell how far it is (a render, a transfer), else None."""
    phase: str = ""
    """What the work is doing, as a word (``sending``, ``rendering``, ``downloading``…)."""


OnProgress = Callable[[Progress], Awaitable[None]]


async def ignore_progress(progress: Progress) -> None:
    """An ``OnProgress`` for callers that show nothing."""


ByteCounts = Callable[[int, int | None], None]
"""A transfer's progress as it reports it: (bytes done, bytes in all or None), synchronously."""


@contextlib.asynccontextmanager
async def byte_progress(message: str, phase: str, on_progress: OnProgress) -> AsyncIterator[ByteCounts]:
    """A ``ByteCounts`` for a transfer, passed on as ``Progress``: the latest count goes out from a
    task of its own, so the transfer never waits for whoever shows it (and only the latest is shown)."""
    latest: list[tuple[int, int | None]] = []
    changed = anyio.Event()

    def count(done: int, total: int | None) -> None:
        latest[:] = [(done, total)]
        changed.set()

    async def pass_on() -> None:
        nonlocal changed
        while True:
            await changed.wait()
            changed = anyio.Event()
            done, total = latest[0]
            await on_progress(Progress(message, done / total if total else None, phase))

    failed: BaseException | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(pass_on)
        try:
            yield count
        except BaseException as exc:  # raised again below: out of the group, so not wrapped in a group
            failed = exc
        finally:
            group.cancel_scope.cancel()
    if failed is not None:
        raise failed
