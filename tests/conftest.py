"""Shared fixtures: every test runs with a private home and a clean environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from kling_ai_30.config import CLAUDE_MODEL_ENV, ENV_VARS, load_settings
from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread
from kling_ai_30.workspace.projects import ProjectRef
from kling_ai_30.workspace.workspace import Workspace

# Variables that would make a test talk to a real account or a real backend: every setting the
# program reads, and Claude's key and model.
_ISOLATED_VARS = (*ENV_VARS, "ANTHROPIC_API_KEY", CLAUDE_MODEL_ENV)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME and the XDG directories at a fresh folder so no test reads or writes the real ones."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in _ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    yield home


# The local backend: fast enough for a test suite, slow enough that tools emit several heartbeats.
FAST = {
    "generation_seconds": 0.1,
    "edit_seconds": 0.02,
    "heartbeat_every_s": 0.02,
    "render_max_height": 144,
    "render_fps": 8,
}


@pytest.fixture(scope="session")
def _shared_backend() -> Iterator[tuple[LocalBackend, str]]:
    # One server for the whole run (starting and stopping uvicorn costs ~0.2 s); every test
    # gets it reset to a fresh state by the `backend` fixture.
    with LocalBackend(SimConfig.model_validate(FAST)) as sim, run_in_thread(sim) as url:
        yield sim, url


@pytest.fixture
def backend(_shared_backend: tuple[LocalBackend, str]) -> Iterator[LocalBackend]:
    """The local backend, reset before and after the test."""
    sim, _ = _shared_backend
    sim.reset()
    yield sim
    # Work a test left running (a dropped stream's run, a render) must not leak into the next one.
    assert sim.wait_idle(20), "agent runs or renders still busy after the test"
    sim.reset()


@pytest.fixture
def base_url(backend: LocalBackend, _shared_backend: tuple[LocalBackend, str]) -> str:
    return _shared_backend[1]


DEFAULT_PROJECT = ProjectRef("local", "default")
"""The local user's default project: where a workspace test works unless it names another."""


def follow_up(job_id: str) -> str:
    """What a workspace tells the user to say next about a job, in tests of the workspace itself."""
    return f"follow {job_id}"


@pytest.fixture
async def workspace(base_url: str) -> AsyncIterator[Workspace]:
    """A workspace on the local backend: the middle both front ends call, without either of them."""
    async with Workspace(load_settings({}, api_url=base_url, web_url=base_url)) as ws:
        yield ws


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The project's wheel, built once per test run: the xdist workers share it (building one takes
    seconds, and several tests read what it ships)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    folder = shared / "wheel"
    with FileLock(str(shared / "wheel.lock")):
        if not list(folder.glob("kling_ai_30-*.whl")):
            root = Path(__file__).resolve().parents[1]
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    "--no-deps",
                    "--no-build-isolation",
                    "-q",
                    "-w",
                    str(folder),
                    str(root),
                ],
                check=True,
                capture_output=True,
            )
    (built,) = folder.glob("kling_ai_30-*.whl")
    return built
