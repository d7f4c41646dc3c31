"""What the user made and where it is (history), their projects, and the first-use setup: all
through a real MCP client, on both protocol eras."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from kling_ai_30.local import LocalBackend

from .conftest import text_of

pytestmark = pytest.mark.anyio

SESSIONS = "/api/tasks/me/with-session/nemo_agent"
TOKENS = "/api/auth/anonymous-token"


def calls_to(backend: LocalBackend, path: str) -> int:
    return sum(1 for r in backend.store.requests() if r.path == path and r.method == "POST")


async def test_the_first_call_of_a_fresh_install_sets_up_token_and_session_once_and_says_so(
    mcp: Client, backend: LocalBackend
) -> None:
    first = await mcp.call_tool("credits", {})
    assert not first.is_error
    assert "Connected to NemoVideo and ready" in text_of(first)
    assert (calls_to(backend, TOKENS), calls_to(backend, SESSIONS)) == (1, 1)
    again = await mcp.call_tool("state", {})
    assert "Connected" not in text_of(again)  # said once
    assert (calls_to(backend, TOKENS), calls_to(backend, SESSIONS)) == (1, 1)


async def test_history_shows_what_was_asked_and_where_the_video_is_even_after_it_is_deleted(
    mcp: Client, backend: LocalBackend
) -> None:
    made = await mcp.call_tool("generate", {"message": "generate a 5-second video of a red kite", "wait_seconds": 60})
    data = made.structured_content
    assert data is not None and data["status"] == "done" and data["export"] is not None
    video = Path(data["export"]["path"])

    listed = await mcp.call_tool("history", {})
    entries = (listed.structured_content or {})["entries"]
    mine = next(e for e in entries if e["job_id"] == data["job_id"])
    assert mine["asked"] == "generate a 5-second video of a red kite" and mine["status"] == "done"
    assert mine["video"] == str(video) and mine["video_exists"] is True
    assert mine["credits_spent"] is not None and mine["credits_spent"] > 0
    assert data["job_id"] in text_of(listed) and str(video) in text_of(listed)

    video.unlink()
    listed = await mcp.call_tool("history", {"limit": 5})
    mine = next(e for e in (listed.structured_content or {})["entries"] if e["job_id"] == data["job_id"])
    assert mine["video_exists"] is False and "no longer there" in text_of(listed)


async def test_a_project_follows_the_person_across_a_restart_and_is_listed(
    connect: Callable[..., Any], backend: LocalBackend
) -> None:
    async with connect() as client:
        made = await client.call_tool(
            "generate", {"message": "generate a 5-second video of a beach", "project": "beach", "wait_seconds": 60}
        )
        assert (made.structured_content or {}).get("status") == "done", text_of(made)
    async with connect() as client:  # a new connection to a restarted server, naming no project
        state = await client.call_tool("state", {})
        assert "beach" in str((state.structured_content or {})["summary"]).lower()
        listed = await client.call_tool("projects", {})
        data = listed.structured_content or {}
        assert data["current"] == "beach" and [p["name"] for p in data["projects"]] == ["beach"]
        assert data["projects"][0]["videos"] == 1
        other = await client.call_tool("state", {"project": "forest"})  # a new name starts a new project
        assert "empty" in text_of(other).lower()
        assert (await client.call_tool("projects", {})).structured_content["current"] == "forest"  # type: ignore[index]


async def test_a_bad_project_name_is_refused_before_anything_is_sent(mcp: Client, backend: LocalBackend) -> None:
    result = await mcp.call_tool("state", {"project": "../../etc"})
    assert result.is_error and "project name may use letters" in text_of(result)
    assert backend.store.requests() == []
