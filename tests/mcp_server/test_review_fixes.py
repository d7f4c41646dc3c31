"""What a review of the middle found, held: an upload's error reaches the user as itself; a job
belongs to the process holding its lock (not to a pid that may be anyone's); a message cut off
while it was leaving is watched, never called unsent (the last project being the default is in
``test_tool_call``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.backend_state import backend_state_dir

from .conftest import image, text_of

pytestmark = pytest.mark.anyio

JOB_ID = "gen_0123456789ab"


def jobs_dir(home: Path, base_url: str) -> Path:
    folder = backend_state_dir(home / ".local/state/kling-ai-30", base_url) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cut_off_record(**overrides: Any) -> dict[str, Any]:
    """A generate job a server that is gone left running, its message the current step."""
    message = "generate a 5-second video of fog"
    return {
        "id": JOB_ID,
        "kind": "generate",
        "principal": "local",
        "project": "default",
        "status": "running",
        "phase": "sending",
        "request": {"message": message},
        "steps": [{"action": "sse", "text": message}],
        "before": {"draft": {}, "canvas": None},
        "accepted": False,
        "owner_pid": os.getppid(),  # alive, and not a kling-ai-30 server: a pid proves nothing
        "updated_at": 0,
        **overrides,
    }


async def test_an_upload_refused_by_the_backend_says_why_not_an_internal_error(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    await mcp.call_tool("credits", {})
    backend.faults.http_error("/api/upload-video", 503, times=1)
    result = await mcp.call_tool("upload", {"path": image(tmp_path)})
    assert result.is_error and "HTTP 503" in text_of(result) and "Try again in a minute" in text_of(result)


async def test_a_job_whose_recorded_pid_is_another_live_process_is_resumed_not_stranded(
    connect: Callable[..., Any], backend: LocalBackend, private_home: Path, base_url: str
) -> None:
    async with connect() as client:
        await client.call_tool("credits", {})
        (jobs_dir(private_home, base_url) / f"{JOB_ID}.json").write_text(json.dumps(cut_off_record()))
        result = await client.call_tool("job", {"job_id": JOB_ID, "wait_seconds": 60})
    told = text_of(result)
    assert "being run by another" not in told and "most likely never sent" in told  # resumed, and honest
    assert not [r for r in backend.store.requests() if r.path == "/run_sse"]


@contextmanager
def job_lock_held_elsewhere(folder: Path) -> Iterator[None]:
    hold = (
        "import sys; from filelock import FileLock; "
        "lock = FileLock(sys.argv[1], thread_local=False); lock.acquire(); print('held', flush=True); sys.stdin.read()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", hold, str(folder / f"{JOB_ID}.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        yield
    finally:
        process.kill()
        process.communicate()


async def test_a_job_another_live_server_holds_is_left_to_it(
    connect: Callable[..., Any], backend: LocalBackend, private_home: Path, base_url: str
) -> None:
    folder = jobs_dir(private_home, base_url)
    (folder / f"{JOB_ID}.json").write_text(json.dumps(cut_off_record(accepted=True)))
    with job_lock_held_elsewhere(folder):
        async with connect() as client:
            await client.call_tool("state", {})  # opening the project resumes only what nobody runs
            result = await client.call_tool("job", {"job_id": JOB_ID, "wait_seconds": 0})
    assert result.is_error and "being run by another kling-ai-30 server" in text_of(result)
    saved = json.loads((folder / f"{JOB_ID}.json").read_text())
    assert saved["status"] == "running"  # untouched: its owner finishes it


async def test_a_message_cut_off_while_it_was_leaving_is_watched_and_never_called_unsent(
    connect: Callable[..., Any], backend: LocalBackend, private_home: Path, base_url: str
) -> None:
    async with connect() as client:
        await client.call_tool("credits", {})
        record = cut_off_record(sending=True)
        (jobs_dir(private_home, base_url) / f"{JOB_ID}.json").write_text(json.dumps(record))
        result = await client.call_tool("job", {"job_id": JOB_ID, "wait_seconds": 60})
    told = text_of(result)
    assert "most likely never sent" not in told and "Send it again" not in told
    assert "has not changed after 5 checks" in told  # watched on the recovery schedule, as a dropped stream
    assert not [r for r in backend.store.requests() if r.path == "/run_sse"]
