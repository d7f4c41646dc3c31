"""One tool call, the same way for every tool: a failure is an error result (a job's still carries
the job), unusable settings are said by the first tool called and tried again on the next, and a
call that names no project works in the caller's last one."""

from __future__ import annotations

import pytest
from mcp import Client

from kling_ai_30.local import LocalBackend

from .conftest import text_of

pytestmark = pytest.mark.anyio


async def test_a_failed_job_is_an_error_result_that_still_carries_the_job(mcp: Client, backend: LocalBackend) -> None:
    result = await mcp.call_tool("export", {"wait_seconds": 30})
    assert result.is_error
    data = result.structured_content
    assert data is not None, "a failed job reaches the client as data, not only as text"
    assert data["status"] == "failed" and data["job_id"].startswith("exp_") and data["kind"] == "export"
    assert data["error_type"] == "InputError" and "nothing to export yet" in data["message"].lower()
    assert "nothing to export yet" in text_of(result).lower()
    again = await mcp.call_tool("job", {"job_id": data["job_id"]})
    assert again.is_error and again.structured_content is not None
    assert again.structured_content["job_id"] == data["job_id"] and again.structured_content["status"] == "failed"


async def test_a_server_with_unusable_settings_starts_and_the_first_tool_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    from kling_ai_30.mcp_server.server import build_server

    monkeypatch.setenv("NEMO_API_URL", "ftp://mega-api.example")
    async with Client(build_server(), mode=mode) as client:  # type: ignore[arg-type]
        assert {tool.name for tool in (await client.list_tools()).tools} >= {"credits"}
        result = await client.call_tool("credits", {})
        assert result.is_error and "NEMO_API_URL must start with http" in text_of(result)
        monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")  # fixed: a closed port now
        result = await client.call_tool("credits", {})
        assert result.is_error and "Cannot reach the NemoVideo backend" in text_of(result)


async def test_the_last_project_used_is_the_default_even_when_it_was_already_open(mcp: Client) -> None:
    for name in ("beach", "city", "beach"):
        await mcp.call_tool("state", {"project": name})
    listed = await mcp.call_tool("projects", {})
    assert (listed.structured_content or {})["current"] == "beach"
