"""One message at a time per project across processes: a project another process is generating in
is left alone (and the user told who holds it); a lock its process left behind when it died is free."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kling_ai_30.errors import JobError
from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.workspace import Workspace

from ..conftest import DEFAULT_PROJECT, follow_up

pytestmark = pytest.mark.anyio


HOLD_LOCK = """
import json, os, sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1], thread_local=False)
lock.acquire()
with open(sys.argv[2], "w") as f:
    json.dump({"pid": os.getpid(), "job_id": "gen_0123456789ab"}, f)
print("held", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def lock_held_by_another_process(workspace: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another kling-ai-30 process (as Desktop beside Code) generating in project ``default``."""
    folder = workspace.state_dir / "locks" / "local"
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder / "default.lock"), str(folder / "default.holder.json")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.communicate()  # waits, and closes its pipes


async def test_a_project_another_process_is_generating_in_is_left_alone_and_the_user_told(
    workspace: Workspace, backend: LocalBackend
) -> None:
    async with Workspace(workspace.settings) as other:  # a second server over the same state
        with lock_held_by_another_process(other) as process:
            with pytest.raises(JobError) as refused:
                await other.request("generate a 5-second video of a lagoon", DEFAULT_PROJECT)
            told = str(refused.value)
            assert f"process {process.pid}" in told
    assert "not sent" in told and "gen_0123456789ab" in told and "Try again" in told
    assert not [r for r in backend.store.requests() if r.path == "/run_sse"]


async def test_a_lock_left_by_a_process_that_is_gone_is_taken_over_and_released_after_the_job(
    workspace: Workspace, backend: LocalBackend
) -> None:
    with lock_held_by_another_process(workspace):
        pass  # it held the lock, and was killed: the kernel let go of the lock
    outcome = await workspace.send("generate a 5-second video of a lagoon", DEFAULT_PROJECT)
    holder = workspace.lock_holder(DEFAULT_PROJECT)
    assert holder is not None and holder.pid == os.getpid() and holder.job_id == outcome.job.id
    assert (await workspace.follow(outcome, 60, follow_up)).status == "done"
    assert workspace.lock_holder(DEFAULT_PROJECT) is None
