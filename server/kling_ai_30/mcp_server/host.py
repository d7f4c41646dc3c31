"""The MCP server's workspace: opened in the background right after start-up, owned by one task.

The host gets its ``initialize`` answer before any of this: the workspace pulls in the client and
chat stack and builds a backend client (loading the TLS trust store), all in a worker thread, so
the event loop stays free for the host, and a host that calls a tool a moment after start-up finds
the workspace ready (bench/bench_first_call.py measures the first call). A server whose settings are
unusable still starts: the workspace is not opened, every tool call says what is wrong, and the
next call tries again, so a fixed setting takes effect without a restart.

One task enters the workspace (``async with``) and leaves it when the server stops: its task
group, where jobs run, must be entered and left by the same task.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
from mcp.server.context import ServerRequestContext

from ..errors import ConfigError, KlingError

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

log = logging.getLogger(__name__)

_HEAVY = "kling_ai_30.workspace.workspace"
"""The module whose import brings in everything a workspace needs."""
_NEVER_USED = ("httpx._main",)
"""Modules a dependency imports on the way that this server never uses: httpx's command-line tool
(it tries to load click, pygments and rich; the server has no use for it)."""


class WorkspaceHost:
    def __init__(self, make: Callable[[], Workspace], group: anyio.abc.TaskGroup) -> None:
        self._make = make
        self._group = group
        self._ready = anyio.Event()
        self._workspace: Workspace | None = None
        self._error: KlingError | None = None
        self._opening = False
        self._stop = anyio.Event()

    def open_soon(self) -> None:
        """Start opening the workspace in the background (once at a time)."""
        if not self._opening and self._workspace is None:
            self._opening = True
            self._ready = anyio.Event()
            self._group.start_soon(self._own, name="workspace")

    async def workspace(self) -> Workspace:
        """The open workspace; a ``KlingError`` (unusable settings) is raised again until fixed."""
        if self._workspace is None:
            if self._error is not None and not self._opening:
                self._error = None
                self.open_soon()  # settings may have been fixed since: try again
            self.open_soon()
            await self._ready.wait()
        if self._workspace is None:
            assert self._error is not None
            raise self._error
        return self._workspace

    def stop(self) -> None:
        self._stop.set()

    async def _own(self) -> None:
        try:
            workspace = await anyio.to_thread.run_sync(_build, self._make)
        except KlingError as exc:
            self._error, self._opening = exc, False
            self._ready.set()
            return
        except Exception:  # a broken install (an import that fails after an upgrade): say so, keep serving
            log.exception("the workspace could not be opened")
            self._error = ConfigError(
                "kling-ai-30 could not start its workspace (see the server log); reinstall it "
                "(pip install -U kling-ai-30) or run `kling-ai-30 doctor`."
            )
            self._opening = False
            self._ready.set()
            return
        async with workspace:
            self._workspace, self._opening = workspace, False
            self._ready.set()
            await self._stop.wait()


async def workspace_of(ctx: ServerRequestContext[Any, Any]) -> Workspace:
    """The workspace of the server a request came to; a ``KlingError`` (unusable settings) as
    ``WorkspaceHost.workspace`` raises it, for each caller to say in its own way."""
    host = ctx.lifespan_context
    assert isinstance(host, WorkspaceHost)
    return await host.workspace()


def _build(make: Callable[[], Workspace]) -> Workspace:
    """Import the workspace stack and build the workspace (in a worker thread)."""
    for name in _NEVER_USED:
        if name not in sys.modules:
            # A ``None`` entry makes the import fail at once (Python's documented way to block one);
            # httpx expects that failure and falls back to a stub.
            sys.modules[name] = None  # type: ignore[assignment]
    importlib.import_module(_HEAVY)
    return make()
