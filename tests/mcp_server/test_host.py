"""The server's workspace host: the workspace is built in the background, off the event loop, and
the first tool call loads nothing the server never uses."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from kling_ai_30.config import load_settings
from kling_ai_30.mcp_server.host import WorkspaceHost
from kling_ai_30.workspace.workspace import Workspace

from ..reliability.test_crash_safety import server_env
from .conftest import text_of

pytestmark = pytest.mark.anyio


async def test_the_workspace_is_built_off_the_event_loop_and_then_works_on_it(base_url: str) -> None:
    built_on: list[int] = []

    def make() -> Workspace:
        built_on.append(threading.get_ident())
        return Workspace(load_settings(None, api_url=base_url, web_url=base_url))

    async with anyio.create_task_group() as group:
        host = WorkspaceHost(make, group)
        host.open_soon()
        workspace = await host.workspace()
        credits = await workspace.credits(workspace.project_ref())  # its locks and client, used on the loop
        host.stop()
    assert credits.available > 0
    assert built_on and built_on[0] != threading.get_ident()


async def test_the_first_tool_call_loads_neither_httpx_s_command_line_tool_nor_file_locks(
    tmp_path: Path, base_url: str
) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-X", "importtime", "-m", "kling_ai_30", "serve"],
        env=server_env(tmp_path / "home", base_url),
        cwd="/",
    )
    log = tmp_path / "stderr.log"
    with open(log, "w", encoding="utf-8") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog)) as client:  # type: ignore[arg-type]
            result = await client.call_tool("credits", {})
            assert not result.is_error, text_of(result)
    imported = [line.rsplit("|", 1)[-1].strip() for line in log.read_text(encoding="utf-8").splitlines()]
    assert "httpx._client" in imported  # the client stack was loaded...
    # ...not what its command-line tool loads (``-X importtime`` lists failed imports too, so the
    # blocked ``httpx._main`` itself shows up: what must not is the syntax highlighter it would load),
    # nor the file-lock library, which only a generate needs.
    assert not [name for name in imported if name.startswith(("pygments", "filelock"))]
