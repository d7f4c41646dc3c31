"""The MCP Tasks extension through ``mcp.Client``: ``generate`` and ``export`` as tasks (each one of
the server's jobs), honest cancelling, a task that outlives a ``kill -9``, and every client that does
not negotiate the extension — on either protocol era — getting today's results.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, ElicitResult
from mcp_types import Request, RequestParams, Result

from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.server import build_server
from kling_ai_30.workspace.outcome import JobResult

from ..reliability.conftest import RENDER, messages_sent, polled_render_ids, render_submits, requests_to
from ..reliability.test_crash_safety import job_file, server_env, sigkill
from ..reliability.test_load import http_server  # noqa: F401 (a fixture: a real ``serve --http`` process)
from .conftest import Sleeps, image, text_of
from .tasks_client import (
    ISO_UTC,
    TASK_ID,
    CreateTaskResult,
    TaskIdParams,
    TasksClient,
    cancel_task,
    get_task,
    start_task,
    until_task,
    update_task,
)

pytestmark = pytest.mark.anyio

GENERATE = {"message": "generate a 3 second video of a red fox"}
NOT_FOUND = "Failed to retrieve task: Task not found"
WEEK_MS = 7 * 24 * 3600 * 1000
INVALID_PARAMS, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY = -32602, -32601, -32021

Open = Callable[..., Any]


@pytest.fixture
def open_client(base_url: str, sleeps: Sleeps) -> Open:
    """``async with open_client(mode=..., tasks=...) as (client, tasks)``: a fresh in-memory server over
    the test's state (a restart, when opened again) and a client that declares the extension or not."""

    @asynccontextmanager
    async def _open(*, mode: str = "auto", tasks: bool = True) -> AsyncIterator[tuple[Client, TasksClient]]:
        settings = load_settings({}, api_url=base_url, web_url=base_url)
        extension = TasksClient()
        server = build_server(settings, sleep=sleeps)
        async with Client(server, mode=mode, extensions=[extension] if tasks else []) as client:  # type: ignore[arg-type]
            yield client, extension

    return _open


def same_result(left: CallToolResult, right: CallToolResult) -> bool:
    """Equal content and structured content (``_meta`` holds the serving server's stamp)."""
    return left.model_dump(exclude={"meta"}) == right.model_dump(exclude={"meta"})


def videos(home: Path) -> list[Path]:
    return sorted((home / ".local/share/kling-ai-30/videos").glob("*.mp4"))


async def not_found(call: Any) -> None:
    with pytest.raises(MCPError) as raised:
        await call
    assert raised.value.error.code == INVALID_PARAMS and raised.value.error.message == NOT_FOUND


# ------------------------------------------------------------------------------ the handle


async def test_a_task_handle_comes_back_at_once_durable_and_unguessable(
    open_client: Open, backend: LocalBackend, private_home: Path
) -> None:
    async with open_client() as (client, _):
        handle = await start_task(client, "generate", GENERATE)
        assert TASK_ID.fullmatch(handle.task_id) and handle.status == "working" and handle.status_message
        assert ISO_UTC.fullmatch(handle.created_at) and ISO_UTC.fullmatch(handle.last_updated_at)
        assert handle.ttl_ms == WEEK_MS and handle.poll_interval_ms == 2000
        # Durably created: the job was saved with the id's secret before the handle left.
        job_id, secret = handle.task_id.split(".")
        assert job_file(private_home, job_id)["task_secret"] == secret
        first = await get_task(client, handle.task_id)
        assert first.task_id == handle.task_id and first.created_at == handle.created_at
        done = await until_task(client, handle.task_id, lambda task: task.status != "working")
    assert done.status == "completed" and done.result is not None
    assert done.result["resultType"] == "complete"  # the official client fails a task without it
    assert messages_sent(backend) == 1


# -------------------------------------------------------------------- to completion, and back


async def test_generate_and_export_complete_as_tasks_with_the_result_the_job_tool_gives(
    open_client: Open, backend: LocalBackend
) -> None:
    async with open_client() as (client, tasks):
        await client.call_tool("state", {})  # the first interaction's "connected" note goes here
        generated = await client.call_tool("generate", GENERATE)
        data = JobResult.model_validate(generated.structured_content)
        assert data.status == "done" and data.export is not None and Path(data.export.path).is_file()
        assert any(block.type == "resource_link" for block in generated.content)
        assert same_result(generated, await client.call_tool("job", {"job_id": data.job_id}))
        # The status line is the job's phase line, as it goes.
        assert any("Generating" in line or "Rendering" in line for line in tasks.status_lines), tasks.status_lines

        exported = await client.call_tool("export", {})
        data = JobResult.model_validate(exported.structured_content)
        assert data.kind == "export" and data.export is not None and Path(data.export.path).is_file()
        assert same_result(exported, await client.call_tool("job", {"job_id": data.job_id}))
    assert [handle.task_id.split("_")[0] for handle in tasks.handles] == ["gen", "exp"]
    assert messages_sent(backend) == 1


async def test_a_first_task_says_the_user_is_connected_in_its_result(open_client: Open, backend: LocalBackend) -> None:
    """What a tool result would have told first (here: set up and connected) is in the task's result,
    since the handle took the call's place."""
    async with open_client() as (client, tasks):
        generated = await client.call_tool("generate", GENERATE)
    assert tasks.handles and text_of(generated).startswith("✅ Connected to NemoVideo and ready")
    assert "✅ Connected" not in (tasks.handles[0].status_message or "")


async def test_a_failed_job_is_a_completed_task_with_an_error_result(open_client: Open, backend: LocalBackend) -> None:
    async with open_client() as (client, tasks):
        result = await client.call_tool("export", {})
    assert result.is_error and "nothing to export yet" in text_of(result)
    # Failed work is a tool result; the spec keeps the "failed" status for JSON-RPC errors.
    assert all(task.status in ("working", "completed") for task in tasks.seen)


async def test_answers_that_need_no_job_come_back_as_ordinary_results(open_client: Open, backend: LocalBackend) -> None:
    async with open_client() as (client, tasks):
        credits = await client.call_tool("generate", {"message": "how many credits do I have left?"})
    assert not credits.is_error and JobResult.model_validate(credits.structured_content).credits is not None
    assert tasks.handles == [] and messages_sent(backend) == 0


async def test_a_request_while_the_project_is_busy_is_told_at_once_not_made_a_task(
    open_client: Open, backend: LocalBackend
) -> None:
    backend.configure(generation_seconds=0.5)
    async with open_client() as (client, tasks):
        first = await start_task(client, "generate", GENERATE)
        busy = await client.call_tool("generate", {"message": "generate a 3 second video of a grey wolf"})
        data = JobResult.model_validate(busy.structured_content)
        assert data.reused and data.status == "running" and "was not sent" in data.message
        assert tasks.handles == []  # the first call's handle was read raw
        done = await until_task(client, first.task_id, lambda task: task.status != "working")
    assert done.status == "completed" and messages_sent(backend) == 1


async def test_the_job_tool_still_waits_for_a_task_aware_client(open_client: Open, backend: LocalBackend) -> None:
    """Only generate and export become tasks; ``job`` keeps its wait, whoever calls it."""
    async with open_client() as (client, tasks):
        handle = await start_task(client, "generate", GENERATE)
        followed = await client.call_tool("job", {"job_id": handle.task_id.split(".")[0], "wait_seconds": 60})
    assert JobResult.model_validate(followed.structured_content).status == "done", text_of(followed)
    assert tasks.seen == []


@pytest.mark.parametrize(("answer", "tasks_made", "sent"), [("accept", 1, 1), ("decline", 0, 0)])
async def test_a_costly_request_is_confirmed_before_its_task_is_created(
    base_url: str, sleeps: Sleeps, backend: LocalBackend, answer: str, tasks_made: int, sent: int
) -> None:
    """The spend question comes first, on the call itself (2026-07-28: ``input_required``); only a
    yes starts the job, and so the task (the spec: resolve input before returning a task)."""
    asked: list[str] = []

    async def on_elicit(context: object, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=answer, content={"go_ahead": True} if answer == "accept" else None)  # type: ignore[arg-type]

    user = backend.add_user(credits=150)  # ~100 a clip: more than half the balance, so it is asked
    settings = load_settings({"NEMO_TOKEN": user.token}, api_url=base_url, web_url=base_url)
    tasks = TasksClient()
    server = build_server(settings, sleep=sleeps)
    async with Client(server, mode="auto", extensions=[tasks], elicitation_callback=on_elicit) as client:  # type: ignore[arg-type]
        result = await client.call_tool("generate", GENERATE)
    assert len(asked) == 1 and len(tasks.handles) == tasks_made
    assert messages_sent(backend) == sent and not result.is_error, text_of(result)


# ------------------------------------------------------------------------------- the ids


async def test_only_the_whole_task_id_finds_a_task(open_client: Open, backend: LocalBackend) -> None:
    async with open_client() as (client, _):
        handle = await start_task(client, "generate", GENERATE)
        await until_task(client, handle.task_id, lambda task: task.status != "working")
        job_id, secret = handle.task_id.split(".")
        other = await start_task(client, "export", {})
        flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        for wrong in (
            job_id,
            f"{job_id}.{flipped}",
            f"{job_id}.",
            f"{other.task_id.split('.')[0]}.{secret}",
            "gen_000000000000." + secret,
            "not a task",
        ):
            await not_found(get_task(client, wrong))
            await not_found(cancel_task(client, wrong))
            await not_found(update_task(client, wrong))
        await update_task(client, handle.task_id)  # nothing is ever awaited from the client: a plain ack
        await until_task(client, other.task_id, lambda task: task.status != "working")


class _ListTasks(Request[RequestParams, str]):
    method: str = "tasks/list"


async def test_tasks_methods_need_the_extension_on_the_request_and_the_2026_wire(
    open_client: Open, backend: LocalBackend
) -> None:
    async with open_client() as (client, _):
        handle = await start_task(client, "export", {})
        for method in ("tasks/list", "tasks/result"):
            request = _ListTasks(method=method, params=TaskIdParams(task_id=handle.task_id))
            with pytest.raises(MCPError) as raised:
                await client.session.send_request(request, Result)
            assert raised.value.error.code == METHOD_NOT_FOUND
    async with open_client(tasks=False) as (client, _):
        with pytest.raises(MCPError) as raised:
            await get_task(client, handle.task_id)
        assert raised.value.error.code == MISSING_CLIENT_CAPABILITY
    async with open_client(mode="legacy") as (client, _):
        with pytest.raises(MCPError) as raised:
            await get_task(client, handle.task_id)
        assert raised.value.error.code == METHOD_NOT_FOUND


# -------------------------------------------------------------- clients without the extension


@pytest.mark.parametrize(("mode", "declares"), [("legacy", False), ("legacy", True), ("auto", False)])
async def test_clients_that_do_not_negotiate_tasks_get_todays_results(
    open_client: Open, backend: LocalBackend, mode: str, declares: bool
) -> None:
    """A 2025-11-25 client (declaring the extension or not: it cannot be negotiated there) and a 2026
    client without it wait as always and get the finished result, shaped as ever."""
    async with open_client(mode=mode, tasks=declares) as (client, tasks):
        generated = await client.call_tool("generate", {**GENERATE, "wait_seconds": 60})
        exported = await client.call_tool("export", {"wait_seconds": 60})
        started = await client.call_tool("generate", {"message": "make it slower", "wait_seconds": 0})
    assert tasks.handles == [] and tasks.seen == []
    for result, kind in ((generated, "generate"), (exported, "export")):
        data = JobResult.model_validate(result.structured_content)
        assert not result.is_error and data.status == "done" and data.kind == kind
        assert data.export is not None and Path(data.export.path).is_file()
        assert set(result.structured_content or {}) == set(JobResult.model_fields)
    running = JobResult.model_validate(started.structured_content)
    assert running.status == "running" and "call the job tool" in running.message and running.next_step


async def test_the_same_request_as_a_task_or_waited_for_comes_to_the_same_result(
    open_client: Open, backend: LocalBackend
) -> None:
    async with open_client(tasks=False) as (client, _):
        await client.call_tool("state", {})  # the first interaction's "connected" note goes here
        waited = await client.call_tool("export", {"wait_seconds": 60})
    async with open_client() as (client, _):
        as_task = await client.call_tool("export", {})
    # An empty project cannot be exported: a deterministic failure, so the two can be compared whole.
    assert waited.is_error and as_task.is_error
    ids = [JobResult.model_validate(r.structured_content).job_id for r in (waited, as_task)]
    assert text_of(waited).replace(ids[0], "ID") == text_of(as_task).replace(ids[1], "ID")
    # A finished task's result is the job tool's, which does not repeat what the request was routed to.
    ignored = {"job_id": "ID", "message": "", "routed_to": []}
    assert {**(waited.structured_content or {}), **ignored} == {**(as_task.structured_content or {}), **ignored}


# ------------------------------------------------------------------------------ cancelling


async def test_cancelling_an_export_abandons_the_render_and_downloads_nothing(
    open_client: Open, backend: LocalBackend, private_home: Path
) -> None:
    async with open_client() as (client, _):
        await client.call_tool("generate", GENERATE)  # a timeline, and its automatic export
        assert len(videos(private_home)) == 1
        backend.faults.stall_renders(times=None)
        handle = await start_task(client, "export", {"new_render": True})  # the same timeline, rendered anew
        await until_task(client, handle.task_id, lambda task: "Rendering" in (task.status_message or ""))
        await cancel_task(client, handle.task_id)
        cancelled = await until_task(client, handle.task_id, lambda task: task.status != "working")
        told = await client.call_tool("job", {"job_id": handle.task_id.split(".")[0]})
    assert cancelled.status == "cancelled" and cancelled.result is None
    assert "nothing was downloaded" in (cancelled.status_message or "")
    data = JobResult.model_validate(told.structured_content)
    assert data.status == "failed" and data.error_type == "JobCancelled" and "Export cancelled" in data.message
    backend.faults.clear()
    backend.renders.release_stalled()
    assert backend.wait_idle(20)
    assert len(videos(private_home)) == 1 and render_submits(backend) == 2


async def test_cancelling_a_generation_before_it_is_sent_sends_nothing(
    open_client: Open, backend: LocalBackend, tmp_path: Path
) -> None:
    backend.faults.delay("/api/upload-video", 2.0)  # the upload before the message takes its time
    message = {"message": f"animate {image(tmp_path)} into a 3 second video with a slow zoom"}
    async with open_client() as (client, _):
        handle = await start_task(client, "generate", message)
        await cancel_task(client, handle.task_id)
        cancelled = await until_task(client, handle.task_id, lambda task: task.status != "working")
        told = await client.call_tool("job", {"job_id": handle.task_id.split(".")[0]})
    assert cancelled.status == "cancelled"
    assert cancelled.status_message == (
        "Cancelled before your request was sent: nothing reached the video assistant and no credits were spent."
    )
    assert JobResult.model_validate(told.structured_content).error_type == "JobCancelled"
    assert messages_sent(backend) == 0 and all(user.spent == 0 for user in backend.store.users())


async def test_cancelling_a_sent_generation_says_it_is_spent_and_it_completes_once(
    open_client: Open, backend: LocalBackend, private_home: Path
) -> None:
    backend.configure(generation_seconds=0.6)
    async with open_client() as (client, _):
        handle = await start_task(client, "generate", GENERATE)
        with anyio.fail_after(10):
            while messages_sent(backend) == 0:
                await anyio.sleep(0.01)
        await cancel_task(client, handle.task_id)
        going_on = await get_task(client, handle.task_id)
        done = await until_task(client, handle.task_id, lambda task: task.status != "working")
    assert going_on.status == "working"
    assert (going_on.status_message or "").startswith("Can't cancel: your request already reached the video assistant")
    assert done.status == "completed" and done.result is not None and not done.result["isError"]
    assert job_file(private_home, handle.task_id.split(".")[0])["cancel_requested"] is True
    assert messages_sent(backend) == 1


# ------------------------------------------------------------------- restarts, real processes


@asynccontextmanager
async def stdio_tasks_client(home: Path, base_url: str, log: Path) -> AsyncIterator[Client]:
    """``kling-ai-30 serve`` on stdio, spoken to on the 2026-07-28 wire with the extension declared."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kling_ai_30", "serve"],
        env=server_env(home, base_url),
        cwd="/",
    )
    with open(log, "w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="auto", extensions=[TasksClient()]) as client:  # type: ignore[arg-type]
            assert client.protocol_version == "2026-07-28"
            yield client


async def test_a_task_outlives_a_kill_9_of_its_server_and_completes_after_the_restart(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    backend.faults.stall_renders(times=None)
    async with stdio_tasks_client(private_home, base_url, tmp_path / "first.log") as client:
        handle = await start_task(client, "generate", GENERATE)
        await until_task(client, handle.task_id, lambda task: "Rendering" in (task.status_message or ""))
        await sigkill(private_home, handle.task_id.split(".")[0])
    [render_id] = polled_render_ids(backend)
    backend.faults.clear()
    backend.renders.release_stalled()  # the render finishes while no server is watching

    async with stdio_tasks_client(private_home, base_url, tmp_path / "second.log") as client:
        done = await until_task(client, handle.task_id, lambda task: task.status != "working", timeout=60)
    assert done.status == "completed" and done.result is not None
    data = JobResult.model_validate(done.result["structuredContent"])
    assert data.status == "done" and data.export is not None and data.export.render_id == render_id
    assert Path(data.export.path).is_file()
    assert messages_sent(backend) == 1 and render_submits(backend) == 1
    assert len(requests_to(backend, RENDER)) == 1
    assert "Traceback" not in (tmp_path / "second.log").read_text()


async def test_over_streamable_http_a_task_runs_to_completion(
    http_server: str,  # noqa: F811
    backend: LocalBackend,
) -> None:
    tasks = TasksClient()
    async with Client(http_server, mode="auto", extensions=[tasks]) as client:
        result = await client.call_tool("generate", GENERATE)
        raw = await get_task(client, tasks.handles[0].task_id)
    assert JobResult.model_validate(result.structured_content).status == "done"
    assert raw.status == "completed" and isinstance(tasks.handles[0], CreateTaskResult)
    assert messages_sent(backend) == 1
