"""The workspace: what stays per project, what is shared."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kling_ai_30.config import load_settings
from kling_ai_30.errors import InputError, JobError
from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread
from kling_ai_30.workspace.backend_state import backend_slug
from kling_ai_30.workspace.projects import ProjectRef
from kling_ai_30.workspace.workspace import Workspace

from ..conftest import DEFAULT_PROJECT, FAST, follow_up
from ..media import make_image

pytestmark = pytest.mark.anyio


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
    mine = await workspace.project(DEFAULT_PROJECT)
    other_settings = workspace.settings.model_copy(update={"api_url": other_backend, "web_url": other_backend})
    async with Workspace(other_settings) as elsewhere:
        await elsewhere.project(DEFAULT_PROJECT)  # the default project, on the other backend
    async with Workspace(workspace.settings) as again:
        assert (await again.project(DEFAULT_PROJECT)).session.session_id == mine.session.session_id


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


# -------------------------------------------------------------------------- input


async def test_a_message_too_long_is_refused_before_its_attachment_is_uploaded(
    workspace: Workspace, backend: LocalBackend, tmp_path: Path
) -> None:
    photo = make_image(tmp_path / "photo.jpg")
    with pytest.raises(InputError, match="keep it under 4000"):
        await workspace.request("x" * 4001, DEFAULT_PROJECT, attachments=[str(photo)])
    assert backend.store.requests() == []


# ------------------------------------------------------------- principals


async def test_another_principals_job_and_projects_read_as_unknown(workspace: Workspace, backend: LocalBackend) -> None:
    outcome = await workspace.send("generate a 5-second video of a heron", DEFAULT_PROJECT)
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
