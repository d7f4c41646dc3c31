"""What generate, export and job report about their jobs (a failure as data is in ``test_tool_call``):
one message at a time per project, the user's steps in the user's order, and jobs picked up after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from kling_ai_30.local import LocalBackend

from .conftest import in_flight, text_of

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a lighthouse"


def requests_to(backend: LocalBackend, path: str, method: str = "POST") -> list[int]:
    """Positions, in the backend's request log, of the requests to ``path``."""
    return [i for i, r in enumerate(backend.store.requests()) if r.path == path and r.method == method]


def run_sse_calls(backend: LocalBackend) -> int:
    return len(requests_to(backend, "/run_sse"))


async def test_export_is_not_announced_as_idempotent(mcp: Client) -> None:
    tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    annotations = tools["export"].annotations
    assert annotations is not None and annotations.idempotent_hint is False  # each call renders a new file


async def test_two_generate_calls_at_once_send_the_message_once(mcp: Client, backend: LocalBackend) -> None:
    backend.configure(generation_seconds=0.3)
    results: list[CallToolResult] = []

    async def call() -> None:
        results.append(await mcp.call_tool("generate", {"message": GENERATE, "wait_seconds": 60}))

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        group.start_soon(call)
    data = [r.structured_content for r in results]
    assert all(d is not None and d["status"] == "done" for d in data), [text_of(r) for r in results]
    assert data[0] is not None and data[1] is not None
    assert data[0]["job_id"] == data[1]["job_id"]
    assert sorted([data[0]["reused"], data[1]["reused"]]) == [False, True]
    assert run_sse_calls(backend) == 1


async def test_a_different_request_while_one_runs_is_not_sent_and_the_user_is_told_so(
    mcp: Client, backend: LocalBackend
) -> None:
    backend.configure(generation_seconds=0.4)
    first = await mcp.call_tool("generate", {"message": GENERATE, "wait_seconds": 0})
    assert first.structured_content is not None
    job_id = first.structured_content["job_id"]
    second = await mcp.call_tool("generate", {"message": 'add a title "Keeper"', "wait_seconds": 0})
    data = second.structured_content
    assert data is not None and data["job_id"] == job_id and data["reused"] is True
    assert "Your new request was not sent" in data["message"] and job_id in data["message"]
    assert "Send it again when that one finishes" in data["message"]
    assert "not sent again" not in data["message"]  # that would be about the first request, not this one
    done = await mcp.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    assert done.structured_content is not None and done.structured_content["status"] == "done"
    assert run_sse_calls(backend) == 1


async def test_credits_asked_after_a_generation_are_shown_with_its_result(mcp: Client, backend: LocalBackend) -> None:
    result = await mcp.call_tool(
        "generate", {"message": "generate a 5-second video of waves and show me my credits", "wait_seconds": 60}
    )
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["status"] == "done" and data["routed_to"] == ["sse", "credits"]
    assert data["credits"] is not None and data["credits"]["available"] < 100  # read after paying
    message = data["message"]
    assert "Credits:" in message and message.index("Credits:") > message.index("Video")  # the user's order
    assert run_sse_calls(backend) == 1


async def test_export_now_then_an_edit_exports_before_the_edit(mcp: Client, backend: LocalBackend) -> None:
    made = await mcp.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    Path((made.structured_content or {})["export"]["path"]).unlink()  # so "export it now" has to render
    before = len(backend.store.requests())
    result = await mcp.call_tool("generate", {"message": "export it now, then add music", "wait_seconds": 60})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["routed_to"] == ["export", "sse"] and data["status"] == "done"
    [render] = [i for i in requests_to(backend, "/api/render/proxy/lambda") if i >= before]
    [message] = [i for i in requests_to(backend, "/run_sse") if i >= before]
    assert render < message  # the video exported is the one before the music
    assert data["export"] is not None and data["message"].startswith("✅ Video ready")
    assert len(requests_to(backend, "/api/render/proxy/lambda")) == 2  # no second export after the edit


async def test_an_export_failing_unexpectedly_after_a_generation_still_reports_the_paid_generation(
    mcp: Client, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kling_ai_30.workspace import export

    async def disk_full(self: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.ExportRun, "run", disk_full)
    result = await mcp.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["status"] == "done" and "Video" in data["timeline"]
    assert "⚠️ Not exported" in data["message"] and "No space left on device" in data["message"]
    assert data["export"] is None and run_sse_calls(backend) == 1


async def test_a_generation_cut_by_a_restart_is_picked_up_and_a_new_request_does_not_overlap_it(
    connect: Callable[..., Any], backend: LocalBackend
) -> None:
    backend.configure(generation_seconds=0.4)
    async with connect() as client:
        started = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 0})
        assert started.structured_content is not None
        job_id = started.structured_content["job_id"]
        await in_flight(client, backend, job_id)
    async with connect() as client:  # a new server: the first one's job was cut off mid-generation
        second = await client.call_tool("generate", {"message": 'add a title "Harbour"', "wait_seconds": 60})
        data = second.structured_content
        assert data is not None and data["job_id"] == job_id and data["reused"] is True, text_of(second)
        assert "Your new request was not sent" in data["message"]
        done = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    assert done.structured_content is not None and done.structured_content["status"] == "done", text_of(done)
    assert done.structured_content["recovered"] is True
    assert run_sse_calls(backend) == 1


async def test_a_job_resumed_after_a_restart_finishes_its_step_and_never_sends_a_message_late(
    connect: Callable[..., Any], backend: LocalBackend
) -> None:
    async with connect() as client:
        made = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
        Path((made.structured_content or {})["export"]["path"]).unlink()  # so "export it now" has to render
        backend.faults.stall_renders(times=None)
        started = await client.call_tool("generate", {"message": "export it now, then add music", "wait_seconds": 0.3})
        data = started.structured_content
        assert data is not None and data["status"] == "running", text_of(started)
    renders, messages = len(requests_to(backend, "/api/render/proxy/lambda")), run_sse_calls(backend)
    backend.faults.clear()
    backend.renders.release_stalled()
    async with connect() as client:  # a new server picks the job up at its export
        resumed = await client.call_tool("job", {"job_id": data["job_id"], "wait_seconds": 60})
    done = resumed.structured_content
    assert done is not None and done["status"] == "done", text_of(resumed)
    assert done["export"] is not None and "Not done" in done["message"] and '"add music" (not sent)' in done["message"]
    assert len(requests_to(backend, "/api/render/proxy/lambda")) == renders  # the same render, polled again
    assert run_sse_calls(backend) == messages  # the edit was never sent after the restart
