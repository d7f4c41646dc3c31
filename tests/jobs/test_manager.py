"""Jobs the server owns: a job is saved before it starts, so one that cannot be saved never starts
(and nothing is sent for it)."""

from __future__ import annotations

import pytest

from kling_ai_30.errors import JobError
from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.workspace import Workspace

from ..conftest import DEFAULT_PROJECT, follow_up

pytestmark = pytest.mark.anyio


async def test_a_job_that_cannot_be_saved_is_not_started_and_sends_nothing(
    workspace: Workspace, backend: LocalBackend
) -> None:
    await workspace.project(DEFAULT_PROJECT)
    (workspace.state_dir / "jobs").write_text("a file where the jobs folder goes", encoding="utf-8")
    with pytest.raises(JobError, match="nothing was sent"):
        await workspace.send("generate a 5-second video of a dune", DEFAULT_PROJECT)
    assert workspace.running_job(DEFAULT_PROJECT) is None  # no job left behind as "running"
    assert workspace.lock_holder(DEFAULT_PROJECT) is None
    (workspace.state_dir / "jobs").unlink()
    outcome = await workspace.send("generate a 5-second video of a dune", DEFAULT_PROJECT)
    assert not outcome.reused and (await workspace.follow(outcome, 60, follow_up)).status == "done"
    assert sum(1 for r in backend.store.requests() if r.path == "/run_sse") == 1
