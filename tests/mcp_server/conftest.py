"""An MCP client connected in memory to our server, which talks to the local backend over loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.server import build_server


class Sleeps:
    """The server's injected sleep: no real waiting, but the local backend gets to finish its work."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.sleep(0.01 if seconds < 5 else 0)
        if seconds >= 5:
            await anyio.to_thread.run_sync(self.backend.wait_idle)


@pytest.fixture(params=["legacy", "auto"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: the 2025-11-25 handshake Claude speaks today, and 2026-07-28."""
    return str(request.param)


@pytest.fixture
def sleeps(backend: LocalBackend) -> Sleeps:
    return Sleeps(backend)


@pytest.fixture
def connect(base_url: str, sleeps: Sleeps, mode: str) -> Callable[..., Any]:
    """``async with connect() as client``: a fresh server (a restart, when called again)."""

    @asynccontextmanager
    async def _connect(**env: str) -> AsyncIterator[Client]:
        settings = load_settings(env, api_url=base_url, web_url=base_url)
        server = build_server(settings, sleep=sleeps)
        async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
            yield client

    return _connect


@pytest.fixture
async def mcp(connect: Callable[..., Any]) -> AsyncIterator[Client]:
    async with connect() as client:
        yield client


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def everything(result: CallToolResult) -> str:
    """All a result carries, as one string (for secret scans)."""
    return text_of(result) + json.dumps(result.structured_content or {}) + repr(result.content)


def image(tmp_path: Path, name: str = "mountain.jpg") -> str:
    from ..media import make_image

    return str(make_image(tmp_path / name))


async def in_flight(client: Client, backend: LocalBackend, job_id: str) -> None:
    """Wait until the backend has the job's message (its ``/run_sse`` is recorded) and the job knows
    it (the stream started, so the message is in flight); fails after 10 real seconds."""
    with anyio.fail_after(10):
        while not any(r.path == "/run_sse" for r in backend.store.requests()):
            await anyio.sleep(0.01)
        while True:
            seen = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 0})
            if seen.structured_content is not None and seen.structured_content["phase"] not in ("starting", "sending"):
                return
            await anyio.sleep(0.01)
