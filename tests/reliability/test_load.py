"""Load: one real ``kling-ai-30 serve --http`` process, 50 tool calls at once across 16 MCP sessions.

Over HTTP each MCP session has its own project (its own backend session and timeline). This is
the correctness half of issue 6's load row, in CI: every concurrent call succeeds and no session
sees another's work. The figures (wall time against the same calls through one session, server
RSS over 500 calls) come from ``bench/bench_load.py``, which runs the same plan at full size.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from kling_ai_30.local import LocalBackend

from ..media import make_image
from .conftest import messages_sent, text_of
from .test_crash_safety import server_env

pytestmark = pytest.mark.anyio

SUBJECTS = (
    "red fox", "blue whale", "snow owl", "desert camel", "green turtle", "golden eagle", "black panther",
    "white rabbit", "grey wolf", "pink flamingo", "brown bear", "orange koi", "silver salmon", "purple octopus",
    "yellow canary", "spotted leopard",
)  # fmt: skip
CALLS = 50
OTHER_TOOLS = ("credits", "upload", "state")
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def http_server(backend: LocalBackend, base_url: str, tmp_path: Path) -> Iterator[str]:
    """The MCP server over streamable HTTP, as a registered user with credits for 16 clips."""
    port = free_port()
    env = server_env(tmp_path / "server-home", base_url, NEMO_TOKEN=backend.add_user(credits=10_000).token)
    command = [sys.executable, "-m", "kling_ai_30", "serve", "--http", "--port", str(port)]
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP server did not start listening"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")


def plan(image: Path) -> list[tuple[int, str, dict[str, Any]]]:
    """One generate per session, each of its own subject; credits, upload and state calls spread over them."""
    calls = [
        (s, "generate", {"message": f"generate a 2 second video of a {subject}", "wait_seconds": 60})
        for s, subject in enumerate(SUBJECTS)
    ]
    arguments: dict[str, dict[str, Any]] = {"credits": {}, "state": {}, "upload": {"path": str(image)}}
    for index in range(CALLS - len(SUBJECTS)):
        tool = OTHER_TOOLS[index % len(OTHER_TOOLS)]
        calls.append((index % len(SUBJECTS), tool, arguments[tool]))
    return calls


async def test_fifty_concurrent_calls_across_sixteen_http_sessions_all_succeed_and_never_cross(
    backend: LocalBackend, http_server: str, tmp_path: Path
) -> None:
    calls = plan(make_image(tmp_path / "photo.jpg"))
    results: list[tuple[int, str, CallToolResult]] = []
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(http_server, mode="legacy")) for _ in SUBJECTS]

        async def one(session: int, tool: str, arguments: dict[str, Any]) -> None:
            # Each session works in a project of its own (they are all the server owner's).
            own = {**arguments, "project": f"session-{session}"}
            results.append((session, tool, await clients[session].call_tool(tool, own)))

        with anyio.fail_after(240):
            async with anyio.create_task_group() as group:
                for call in calls:
                    group.start_soon(one, *call)
        after = [await client.call_tool("state", {"project": f"session-{s}"}) for s, client in enumerate(clients)]

    assert len(results) == CALLS
    failed = [(s, tool, text_of(r)[:200]) for s, tool, r in results if r.is_error]
    assert not failed
    done = {s: r.structured_content or {} for s, tool, r in results if tool == "generate"}
    assert {s: d.get("status") for s, d in done.items()} == dict.fromkeys(range(len(SUBJECTS)), "done")
    for session, subject in enumerate(SUBJECTS):
        others = [other for other in SUBJECTS if other != subject]
        for seen in (str(done[session].get("timeline", "")), str((after[session].structured_content or {})["summary"])):
            assert subject in seen.lower() and not [o for o in others if o in seen.lower()], (session, seen)
    # Each session's message reached the backend exactly once.
    assert messages_sent(backend) == len(SUBJECTS)
