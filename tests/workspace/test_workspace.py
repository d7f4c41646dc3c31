"""The workspace: what stays per project, what is shared."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kling_ai_30.config import load_settings
from kling_ai_30.errors import InputError, JobError
from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread
from kling_ai_30.workspace.backend_state import backend_slug
from kling_ai_30.workspace.projects import ProjectRef
from kling_ai_30.workspace.workspace import Workspace

from ..conftest import FAST
from ..media import make_image

pytestmark = pytest.mark.anyio

DEFAULT = ProjectRef("local", "default")


@pytest.fixture
async def workspace(base_url: str) -> AsyncIterator[Workspace]:
    async with Workspace(load_settings({}, api_url=base_url, web_url=base_url)) as ws:
        yield ws


def follow_up(job_id: str) -> str:
    return f"follow {job_id}"


async def test_a_lost_session_is_told_to_its_own_project_only(workspace: Workspace, backend: LocalBackend) -> None:
    alice, bob = ProjectRef("local", "alice"), ProjectRef("local", "bob")
    first = await workspace.project(alice)
    await workspace.project(bob)
    workspace.notices(alice), workspace.notices(bob)  # "connected and ready", said once to each
    backend.faults.lose_session(first.session.session_id)
    await workspace.state(alice)  # the backend lost alice's session; a new one replaced it
    assert workspace.notices(bob) == []
    told = workspace.notices(alice)
    assert len(told) == 1 and "new one was started" in told[0]
    assert workspace.notices(alice) == []  # said once


async def test_projects_keep_their_own_backend_sessions(workspace: Workspace, backend: LocalBackend) -> None:
    one = await workspace.project(ProjectRef("local", "one"))
    two = await workspace.project(ProjectRef("local", "two"))
    assert one.session.session_id != two.session.session_id
    async with Workspace(workspace.settings) as again:
        reopened = await again.project(ProjectRef("local", "one"))
        assert reopened.session.session_id == one.session.session_id  # a restart continues the timeline


# ------------------------------------------------------------------ one folder per backend


@pytest.fixture
def other_backend() -> Iterator[str]:
    """A second backend (another URL), as when the user switches NEMO_API_URL or runs `--local`."""
    with LocalBackend(SimConfig.model_validate(FAST)) as sim, run_in_thread(sim) as url:
        yield url


async def test_a_project_on_another_backend_leaves_this_backends_project_alone(
    workspace: Workspace, other_backend: str
) -> None:
    mine = await workspace.project(DEFAULT)
    other_settings = workspace.settings.model_copy(update={"api_url": other_backend, "web_url": other_backend})
    async with Workspace(other_settings) as elsewhere:
        await elsewhere.project(DEFAULT)  # the default project, on the other backend
    async with Workspace(workspace.settings) as again:
        assert (await again.project(DEFAULT)).session.session_id == mine.session.session_id


async def test_state_of_loopback_backends_unused_for_a_day_is_removed(base_url: str) -> None:
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    root = settings.state_dir / "backends"
    old = time.time() - 2 * 24 * 3600
    for name in ("127.0.0.1_40001", "localhost_40002", "mega-api-prod.nemovideo.ai", "127.0.0.1_40003"):
        (root / name / "projects").mkdir(parents=True)
    for name in ("127.0.0.1_40001", "localhost_40002", "mega-api-prod.nemovideo.ai"):
        for folder in (root / name, root / name / "projects"):
            os.utime(folder, (old, old))
    async with Workspace(settings):
        pass
    left = sorted(p.name for p in root.iterdir())
    # Old loopback ones go; the real backend's and a recent loopback one stay.
    assert left == sorted(["127.0.0.1_40003", "mega-api-prod.nemovideo.ai", backend_slug(base_url)])


# --------------------------------------------------------------------------- jobs


async def test_a_job_that_cannot_be_saved_is_not_started_and_sends_nothing(
    workspace: Workspace, backend: LocalBackend
) -> None:
    await workspace.project(DEFAULT)
    (workspace.state_dir / "jobs").write_text("a file where the jobs folder goes", encoding="utf-8")
    with pytest.raises(JobError, match="nothing was sent"):
        await workspace.send("generate a 5-second video of a dune", DEFAULT)
    assert workspace.running_job(DEFAULT) is None  # no job left behind as "running"
    assert workspace.lock_holder(DEFAULT) is None
    (workspace.state_dir / "jobs").unlink()
    outcome = await workspace.send("generate a 5-second video of a dune", DEFAULT)
    assert not outcome.reused and (await workspace.follow(outcome, 60, follow_up)).status == "done"
    assert sum(1 for r in backend.store.requests() if r.path == "/run_sse") == 1


async def test_a_message_too_long_is_refused_before_its_attachment_is_uploaded(
    workspace: Workspace, backend: LocalBackend, tmp_path: Path
) -> None:
    photo = make_image(tmp_path / "photo.jpg")
    with pytest.raises(InputError, match="keep it under 4000"):
        await workspace.request("x" * 4001, DEFAULT, attachments=[str(photo)])
    assert backend.store.requests() == []


# ------------------------------------------------------------- across processes


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
                await other.request("generate a 5-second video of a lagoon", DEFAULT)
            told = str(refused.value)
            assert f"process {process.pid}" in told
    assert "not sent" in told and "gen_0123456789ab" in told and "Try again" in told
    assert not [r for r in backend.store.requests() if r.path == "/run_sse"]


async def test_a_lock_left_by_a_process_that_is_gone_is_taken_over_and_released_after_the_job(
    workspace: Workspace, backend: LocalBackend
) -> None:
    with lock_held_by_another_process(workspace):
        pass  # it held the lock, and was killed: the kernel let go of the lock
    outcome = await workspace.send("generate a 5-second video of a lagoon", DEFAULT)
    holder = workspace.lock_holder(DEFAULT)
    assert holder is not None and holder.pid == os.getpid() and holder.job_id == outcome.job.id
    assert (await workspace.follow(outcome, 60, follow_up)).status == "done"
    assert workspace.lock_holder(DEFAULT) is None


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ------------------------------------------------------------- principals


async def test_another_principals_job_and_projects_read_as_unknown(workspace: Workspace, backend: LocalBackend) -> None:
    outcome = await workspace.send("generate a 5-second video of a heron", DEFAULT)
    assert (await workspace.follow(outcome, 60, follow_up)).status == "done"
    with pytest.raises(JobError, match="No job") as unknown:
        await workspace.job(outcome.job.id, "bob")
    with pytest.raises(JobError) as never_made:
        await workspace.job("gen_0123456789ab", "bob")
    assert str(unknown.value).replace(outcome.job.id, "X") == str(never_made.value).replace("gen_0123456789ab", "X")
    assert workspace.history("bob").entries == [] and workspace.projects("bob").projects == []
    assert [e.job_id for e in workspace.history("local").entries] == [outcome.job.id]
    bobs = workspace.project_ref("bob")
    assert bobs == ProjectRef("bob", "default") and (await workspace.state(bobs)).summary.startswith(
        "Timeline is empty"
    )
