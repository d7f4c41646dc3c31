"""The MCP server: the contract's tools (``tools``) over one ``Workspace`` (``host``).

Waiting: a tool call may be cut at ~60 s (Claude Desktop), backgrounded at 120 s (Claude Code) or
cut at 5 min (Cursor), and a cut cancels the tool's coroutine. The work itself runs as a job in
the workspace's task group, so the cut never reaches it; the tool returns ``running`` and a
``job_id`` when its budget runs out, and ``job`` picks it up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from mcp.server.mcpserver import MCPServer

from ..config import Settings, load_settings
from ..redaction import install_log_redaction
from ..skill import SkillIdentity
from ..timing import Clock, Sleep
from .host import WorkspaceHost
from .tasks.extension import TasksExtension
from .tools import register_tools

if TYPE_CHECKING:
    import httpx

    from ..workspace.workspace import Workspace

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
Makes ~30-second AI videos through the NemoVideo backend. Use `generate` for anything the user
asks in words (it routes: export/credits/status requests are answered directly; media paths or
URLs in the message are uploaded first); `upload` for a local file path or URL; `export` for the
MP4. Long work returns status "running" with a job_id: tell the user it is still working and call
`job` with that id until status is "done". Never call generate twice for the same request while a
job runs (that would charge twice). Suggest a 5-second preview before a costly 30-second clip.
Show the `message` field to the user; never show tokens or raw JSON."""


def build_server(
    settings: Settings | None = None,
    *,
    identity: SkillIdentity | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
    monotonic: Clock = time.monotonic,
) -> MCPServer[WorkspaceHost]:
    """The MCP server. Tests pass ``transport`` (the local backend without sockets), ``sleep``
    (so the backend's "wait 30 s" policies take no time) and ``monotonic`` (so bounded waits, such
    as the 15-minute render limit, run out on a fake clock)."""

    def make_workspace() -> Workspace:
        from ..workspace.workspace import Workspace

        return Workspace(settings or load_settings(), identity, transport=transport, sleep=sleep, monotonic=monotonic)

    @asynccontextmanager
    async def lifespan(server: MCPServer[WorkspaceHost]) -> AsyncIterator[WorkspaceHost]:
        async with anyio.create_task_group() as group:
            host = WorkspaceHost(make_workspace, group)
            host.open_soon()
            try:
                yield host
            finally:
                host.stop()  # the workspace stops its jobs (they stay resumable) and closes its client

    server: MCPServer[WorkspaceHost] = MCPServer(
        name="kling-ai-30",
        title="Kling AI 30-second video (NemoVideo)",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        version=_version(identity),
        extensions=[TasksExtension()],
    )
    register_tools(server)
    install_log_redaction()
    # httpx logs every request at INFO; on stdio that is noise in the host's log, not news.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return server


def _version(identity: SkillIdentity | None) -> str:
    if identity is not None:
        return identity.version
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kling-ai-30")
    except PackageNotFoundError:
        return "0"
