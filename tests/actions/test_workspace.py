"""The workspace: what stays per project, what is shared."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from kling_ai_30.actions.workspace import Workspace
from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
async def workspace(base_url: str) -> AsyncIterator[Workspace]:
    ws = Workspace(load_settings({}, api_url=base_url, web_url=base_url))
    async with anyio.create_task_group() as group:
        ws.jobs.attach(group)
        yield ws
        group.cancel_scope.cancel()
    await ws.aclose()


async def test_a_lost_session_is_told_to_its_own_project_only(workspace: Workspace, backend: LocalBackend) -> None:
    first = await workspace.project("alice")
    await workspace.project("bob")
    backend.faults.lose_session(first.session.session_id)
    await workspace.state("alice")  # the backend lost alice's session; a new one replaced it
    assert workspace.notices("bob") == []
    told = workspace.notices("alice")
    assert len(told) == 1 and "new one was started" in told[0]
    assert workspace.notices("alice") == []  # said once


async def test_projects_keep_their_own_backend_sessions(workspace: Workspace, backend: LocalBackend) -> None:
    one = await workspace.project("one")
    two = await workspace.project("two")
    assert one.session.session_id != two.session.session_id
    again = Workspace(workspace.settings)
    try:
        reopened = await again.project("one")
        assert reopened.session.session_id == one.session.session_id  # a restart continues the timeline
    finally:
        await again.aclose()


async def test_idle_http_session_projects_are_pruned_named_ones_kept(base_url: str, private_home: object) -> None:
    import os
    import time

    settings = load_settings({}, api_url=base_url, web_url=base_url)
    folder = settings.state_dir / "projects"
    folder.mkdir(parents=True)
    for name in ("http-oldsession", "http-newsession", "default"):
        (folder / f"{name}.json").write_text("{}", encoding="utf-8")
    long_ago = time.time() - 60 * 24 * 3600
    for name in ("http-oldsession", "default"):
        os.utime(folder / f"{name}.json", (long_ago, long_ago))
    workspace = Workspace(settings)
    await workspace.aclose()
    assert sorted(p.stem for p in folder.glob("*.json")) == ["default", "http-newsession"]
