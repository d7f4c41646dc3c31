"""Shared pieces of the reliability suite: a fake clock for the server, counts of what reached the
backend, and a reader for the state the program keeps on disk.

The MCP server runs in memory (``mcp.Client`` in both protocol modes would double the run time of
a matrix that is about faults, not protocol; ``tests/mcp_server`` covers both modes), and talks to
the session-wide local backend over loopback.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.server import build_server
from kling_ai_30.workspace.backend_state import backend_state_dir

RUN_SSE = "/run_sse"
RENDER = "/api/render/proxy/lambda"
TOKEN = "/api/auth/anonymous-token"


class FakeTime:
    """The server's injected ``sleep`` and ``monotonic``: waits take no real time, but the fake
    clock moves by what was slept, so a 15-minute bound runs out after 15 fake minutes.

    A long sleep ("poll again in 30 s") first lets the local backend finish what it is doing, so
    it means "long enough for the server-side work to land"; short ones yield briefly, so a
    render on the backend's worker threads makes progress between polls.
    """

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if seconds >= 5:
            await anyio.to_thread.run_sync(self.backend.wait_idle)
        else:
            await anyio.sleep(0.005)


@pytest.fixture
def fake_time(backend: LocalBackend) -> FakeTime:
    return FakeTime(backend)


@pytest.fixture
def connect(base_url: str, fake_time: FakeTime) -> Callable[..., Any]:
    """``async with connect() as client``: a fresh in-memory server (a restart, when called again)."""

    @asynccontextmanager
    async def _connect(api_url: str | None = None, **env: str) -> AsyncIterator[Client]:
        url = api_url or base_url
        settings = load_settings(env, api_url=url, web_url=base_url)
        server = build_server(settings, sleep=fake_time.sleep, monotonic=fake_time.monotonic)
        async with Client(server, mode="auto") as client:
            yield client

    return _connect


@pytest.fixture
async def mcp(connect: Callable[..., Any]) -> AsyncIterator[Client]:
    async with connect() as client:
        yield client


# ------------------------------------------------------------------ what reached the backend


def requests_to(backend: LocalBackend, path: str, method: str | None = "POST") -> list[Any]:
    return [r for r in backend.store.requests() if r.path == path and (method is None or r.method == method)]


def messages_sent(backend: LocalBackend) -> int:
    """``/run_sse`` requests: each is a chat message the backend may act on (and charge for)."""
    return len(requests_to(backend, RUN_SSE))


def credits_spent(backend: LocalBackend) -> int:
    return sum(user.spent + user.frozen for user in backend.store.users())


def render_submits(backend: LocalBackend) -> int:
    return len(requests_to(backend, RENDER))


def polled_render_ids(backend: LocalBackend) -> set[str]:
    return {r.path.rsplit("/", 1)[-1] for r in backend.store.requests() if r.path.startswith(RENDER + "/")}


# --------------------------------------------------------------------------- what tools said


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def everything(result: CallToolResult) -> str:
    """All a result carries, as one string (for secret scans)."""
    return text_of(result) + json.dumps(result.structured_content or {}) + repr(result.content)


class Progress:
    """A progress callback that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.messages.append(message or "")

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


# ------------------------------------------------------------------------ what is on disk


@dataclass
class Disk:
    """The program's persisted state under the private home, every file parsed."""

    jobs: dict[str, dict[str, Any]]
    projects: dict[str, dict[str, Any]]

    def job(self, job_id: str) -> dict[str, Any]:
        return self.jobs[job_id]

    @property
    def project(self) -> dict[str, Any]:
        return self.projects["default"]


def state_dir(home: Path) -> Path:
    return home / ".local/state/kling-ai-30"


def backend_dir(home: Path, api_url: str) -> Path:
    """Where the program keeps the projects, jobs and locks it has for the backend at ``api_url``."""
    return backend_state_dir(state_dir(home), api_url)


def read_disk(home: Path, *, after_crash: bool = False) -> Disk:
    """Parse every job and project file (of every backend); a file that does not parse fails the
    test, and so does a temporary file of an interrupted write or a file set aside as damaged, unless
    ``after_crash`` (a process killed mid-write may leave its temporary file; the real file is whole
    either way)."""
    root = state_dir(home)
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp") or ".corrupt-" in p.name]
    assert after_crash or not leftovers, f"interrupted writes or damaged files left behind: {leftovers}"
    jobs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("backends/*/jobs/*.json"))}
    projects = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("backends/*/projects/*/*.json"))
    }
    for job_id, job in jobs.items():
        assert job["id"] == job_id and job["status"] in ("running", "done", "failed")
        assert (job["status"] == "failed") == (job["error"] is not None)
        assert job["status"] != "done" or job["result"] is not None
    return Disk(jobs, projects)


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until it holds; fails after ``timeout`` real seconds."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)


def photo(path: Path, size: tuple[int, int] = (320, 180)) -> Path:
    """A small real JPEG (a gradient), for uploads the local backend probes."""
    from PIL import Image

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.save(path, format="JPEG")
    return path
