"""Crash safety: a server killed with SIGKILL at the worst moment, writes cut short, damaged files.

The killed server is a real ``kling-ai-30 serve`` process on stdio, talking to the shared local
backend over loopback. A restart that only has to report or poll a render is a real process too;
one that has to wait out the 30-second recovery schedule runs in memory with a fake clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from kling_ai_30.local import LocalBackend
from kling_ai_30.storage import load_json

from .conftest import (
    RENDER,
    backend_dir,
    messages_sent,
    polled_render_ids,
    read_disk,
    render_submits,
    requests_to,
    state_dir,
    text_of,
    wait_for,
)

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a glacier"


def server_env(home: Path, base_url: str, **extra: str) -> dict[str, str]:
    """The environment an MCP host gives the server: a private home and the backend's URL."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "PATH": os.environ.get("PATH", ""),
        "NEMO_API_URL": base_url,
        "NEMO_WEB_URL": base_url,
        **extra,
    }


@asynccontextmanager
async def stdio_server(home: Path, base_url: str, errlog: IO[str], *args: str, **env: str) -> AsyncIterator[Client]:
    """``kling-ai-30 serve`` as a subprocess on stdio; the SDK's transport stops it on exit."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kling_ai_30", "serve", *args],
        env=server_env(home, base_url, **env),
        cwd="/",  # MCP hosts start servers in / or a cache dir
    )
    with anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog)) as client:  # type: ignore[arg-type]
            yield client


async def start_generation(client: Client) -> str:
    started = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 0})
    assert not started.is_error, text_of(started)
    assert started.structured_content is not None and started.structured_content["status"] == "running"
    return str(started.structured_content["job_id"])


def job_file(home: Path, job_id: str) -> dict[str, Any]:
    [path] = state_dir(home).glob(f"backends/*/jobs/{job_id}.json")
    value = load_json(path).value
    assert isinstance(value, dict)
    return value


async def sigkill(home: Path, job_id: str) -> None:
    """SIGKILL the server that owns ``job_id`` (its pid is in the job's record) and wait until it is gone."""
    pid = job_file(home, job_id)["owner_pid"]
    assert isinstance(pid, int) and pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    with anyio.fail_after(10):
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await anyio.sleep(0.02)


async def test_a_server_killed_mid_generation_reports_the_job_honestly_and_recovers_it_without_resending(
    connect: Callable[..., Any], backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    backend.configure(generation_seconds=1.0)
    with open(tmp_path / "first.log", "w") as errlog:
        async with stdio_server(private_home, base_url, errlog) as client:
            job_id = await start_generation(client)
            # Killed while the backend works on the message: the stream is open and nothing has landed.
            await wait_for(lambda: job_file(private_home, job_id)["phase"] in ("thinking", "tool"))
            await sigkill(private_home, job_id)
    record = read_disk(private_home, after_crash=True).job(job_id)
    assert record["status"] == "running" and record["before"] is not None  # what the recovery needs

    with open(tmp_path / "second.log", "w") as errlog:
        async with stdio_server(private_home, base_url, errlog) as client:
            honest = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 0.5})
    data = honest.structured_content
    assert data is not None and data["status"] == "running", text_of(honest)
    assert "not sent again" in data["message"] and job_id in data["message"]

    # A third server (in memory, fake clock) waits out the recovery schedule: the state shows the edit.
    async with connect() as client:
        recovered = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = recovered.structured_content
    assert data is not None and data["status"] == "done", text_of(recovered)
    assert any(line.startswith("✅ Video added") for line in data["changes"])
    assert messages_sent(backend) == 1
    assert read_disk(private_home, after_crash=True).job(job_id)["status"] == "done"


async def test_a_server_killed_mid_render_resumes_the_same_render_after_a_restart_and_delivers_the_file(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    backend.faults.stall_renders(times=None)
    with open(tmp_path / "first.log", "w") as errlog:
        async with stdio_server(private_home, base_url, errlog) as client:
            job_id = await start_generation(client)
            await wait_for(
                lambda: bool(job_file(private_home, job_id)["render_ids"]) and bool(polled_render_ids(backend))
            )
            await sigkill(private_home, job_id)
    [render_id] = job_file(private_home, job_id)["render_ids"]
    assert read_disk(private_home, after_crash=True).job(job_id)["status"] == "running"

    backend.faults.clear()
    backend.renders.release_stalled()  # the render finishes while no server is watching
    with open(tmp_path / "second.log", "w") as errlog:
        async with stdio_server(private_home, base_url, errlog) as client:
            resumed = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = resumed.structured_content
    assert data is not None and data["status"] == "done", text_of(resumed)
    video = Path(data["export"]["path"])
    assert video.is_file() and video.read_bytes()[4:8] == b"ftyp"
    assert data["export"]["render_id"] == render_id and "Video" in data["timeline"]
    assert render_submits(backend) == 1 and polled_render_ids(backend) == {render_id}
    assert messages_sent(backend) == 1
    assert len(requests_to(backend, RENDER)) == 1
    assert read_disk(private_home, after_crash=True).job(job_id)["status"] == "done"


# ------------------------------------------------------------------------ damaged files


def damage(home: Path, base_url: str, what: str) -> tuple[Path, str]:
    """Write a damaged file the program will read; returns its path and the tool call that reads it."""
    root = backend_dir(home, base_url)
    if what == "half-written project":
        path, content, tool = root / "projects/local/default.json", '{"key": "default", "session": {"sess', "state"
    elif what == "garbage job":
        path, content, tool = root / "jobs/gen_0123456789ab.json", "\x00\x01 not json", "job"
    elif what == "job of the wrong shape":
        path, content, tool = root / "jobs/gen_0123456789ab.json", '{"id": 5, "kind": "generate"}', "job"
    elif what == "job nested thousands deep":
        path, content, tool = root / "jobs/gen_0123456789ab.json", "[" * 100_000, "job"
    elif what == "half-written token cache":
        path, content, tool = home / ".config/kling-ai-30/tokens.json", '{"http://x": {"tok', "credits"
    else:
        raise AssertionError(what)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path, tool


@pytest.mark.parametrize(
    ("what", "notice"),
    [
        pytest.param("half-written project", "The saved project 'default' was damaged", id="project"),
        pytest.param("garbage job", "The saved record of job gen_0123456789ab was damaged", id="job"),
        pytest.param("job of the wrong shape", "was damaged and was moved to", id="job-shape"),
        pytest.param("job nested thousands deep", "was damaged and was moved to", id="job-deep"),
        pytest.param("half-written token cache", "The saved NemoVideo token was damaged", id="token-cache"),
    ],
)
async def test_a_damaged_state_file_is_set_aside_and_the_user_told(
    mcp: Client, backend: LocalBackend, base_url: str, private_home: Path, what: str, notice: str
) -> None:
    path, tool = damage(private_home, base_url, what)
    arguments = {"job_id": "gen_0123456789ab"} if tool == "job" else {}
    result = await mcp.call_tool(tool, arguments)
    message = text_of(result)
    assert notice in message, message
    if tool == "job":
        # The record is gone, so the job is unknown: said plainly, after the notice.
        assert result.is_error and "No job 'gen_0123456789ab' is known" in message
    else:
        assert not result.is_error, message
    aside = list(path.parent.glob(path.name + ".corrupt-*"))
    assert len(aside) == 1
    if aside:
        assert str(aside[0]) in message
    # Said once; the program carries on and the next call is clean.
    again = await mcp.call_tool("credits", {})
    assert not again.is_error and "damaged" not in text_of(again)


async def test_a_server_started_on_damaged_files_starts_and_answers(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    for what in ("half-written project", "garbage job", "half-written token cache"):
        damage(private_home, base_url, what)
    with open(tmp_path / "server.log", "w") as errlog:
        async with stdio_server(private_home, base_url, errlog) as client:
            state = await client.call_tool("state", {})
            credits = await client.call_tool("credits", {})
            job = await client.call_tool("job", {"job_id": "gen_0123456789ab"})
    assert not state.is_error and not credits.is_error, text_of(state) + text_of(credits)
    told = text_of(state) + text_of(credits) + text_of(job)
    assert "The saved project 'default' was damaged" in told and "The saved NemoVideo token was damaged" in told
    # Found by the start-up sweep of saved jobs, so told with the first result; the job is gone.
    assert "The saved record of job gen_0123456789ab was damaged" in told
    assert job.is_error and "No job 'gen_0123456789ab'" in text_of(job)
    read_disk(private_home, after_crash=True)


# ------------------------------------------------------------------------- atomic writes

_WRITER = """
import sys
from pathlib import Path
from kling_ai_30.storage import atomic_write_json

path = Path(sys.argv[1])
atomic_write_json(path, {"n": 0, "padding": "x" * 200_000})  # an old file exists from "ready" on
n = 1
print("ready", flush=True)
while True:
    atomic_write_json(path, {"n": n, "padding": "x" * 200_000})
    n += 1
"""


@pytest.mark.parametrize("delay", [0.05, 0.11, 0.17, 0.23])
def test_a_writer_killed_at_any_moment_leaves_the_old_file_or_the_new_one_whole(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "state" / "job.json"
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(delay)  # the moment of the kill is the variable under test
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    value = json.loads(path.read_text(encoding="utf-8"))
    assert value["n"] >= 0 and len(value["padding"]) == 200_000
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
