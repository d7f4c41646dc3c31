"""The MCP tools end to end: an MCP client in memory, our server, the local backend over loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError

from kling_ai_30.local import LocalBackend

from ..media import probe
from .conftest import Sleeps, everything, image, in_flight, text_of

pytestmark = pytest.mark.anyio

QUICK = "generate a 5-second cinematic video from this image with slow camera movement"


def run_sse_calls(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/run_sse")


def renders_submitted(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/api/render/proxy/lambda" and r.method == "POST")


async def test_the_contract_tools_are_listed_with_schemas_and_honest_annotations(mcp: Client) -> None:
    tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    assert set(tools) == {"upload", "generate", "credits", "state", "export", "job", "history", "projects"}
    for name in ("credits", "state", "history", "projects"):
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint and annotations.idempotent_hint
    for name in ("generate", "upload", "export"):
        annotations = tools[name].annotations
        assert annotations is not None
        assert annotations.read_only_hint is False and annotations.open_world_hint is True
    generate = tools["generate"].input_schema["properties"]
    assert generate["message"]["maxLength"] == 4000 and generate["message"]["description"]
    assert set(tools["upload"].input_schema["properties"]) == {"path", "url", "project"}
    for name in ("upload", "generate", "credits", "state", "export"):
        assert "project" in tools[name].input_schema["properties"]  # every tool that works on a project
    for name in ("generate", "export", "job"):
        output = tools[name].output_schema
        assert output is not None and {"status", "job_id", "message"} <= set(output["properties"])


async def test_quick_edit_upload_generate_export_delivers_a_real_mp4(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    uploaded = await mcp.call_tool("upload", {"path": image(tmp_path)})
    assert not uploaded.is_error, text_of(uploaded)
    assert uploaded.structured_content and uploaded.structured_content["files"][0]["file_type"] == "image"

    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    result = await mcp.call_tool("generate", {"message": QUICK, "wait_seconds": 60}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["status"] == "done" and data["routed_to"] == ["sse"]
    assert data["timeline"].startswith("Timeline (3 tracks): 1. Video: mountain")
    # The backend said "click Export": that became an export, delivered with the file and the link.
    export = data["export"]
    path = Path(export["path"])
    assert path.is_absolute() and path.exists()
    assert export["task_link"].startswith(backend_url_of(export["url"]) + "/workspace/claim?ct=clm_")
    media = probe(path)
    assert media.video_codec == "h264" and media.audio_codec == "aac"
    assert 4.5 <= media.duration_s <= 5.6
    links = [block for block in result.content if getattr(block, "type", "") == "resource_link"]
    assert links and links[0].uri == path.as_uri() and links[0].mime_type == "video/mp4"
    assert any("Generating the video" in p for p in progress)
    assert "click" not in data["message"].lower()


def backend_url_of(url: str) -> str:
    return url.split("/cdn/", 1)[0]


async def test_batch_uploads_are_each_processed_and_exported_separately(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    paths: list[str] = []
    for name in ("beach.jpg", "city.jpg"):
        uploaded = await mcp.call_tool("upload", {"path": image(tmp_path, name)})
        assert not uploaded.is_error
        result = await mcp.call_tool(
            "generate", {"message": f"generate a 5-second video from {name} with slow zoom", "wait_seconds": 60}
        )
        assert result.structured_content is not None and result.structured_content["status"] == "done"
        exported = await mcp.call_tool("export", {"wait_seconds": 60})
        assert not exported.is_error, text_of(exported)
        assert exported.structured_content is not None
        paths.append(exported.structured_content["export"]["path"])
    assert len(set(paths)) == 2 and all(Path(p).exists() for p in paths)


async def test_iterative_edits_show_on_the_timeline_and_export_the_latest(mcp: Client, backend: LocalBackend) -> None:
    first = await mcp.call_tool("generate", {"message": "generate a 5-second video of a forest", "wait_seconds": 60})
    assert first.structured_content is not None and first.structured_content["status"] == "done"
    backend.faults.force_silent(True, times=1)
    edit = await mcp.call_tool("generate", {"message": 'add a subtitle "Welcome home"', "wait_seconds": 60})
    assert edit.structured_content is not None
    assert any("Welcome home" in line for line in edit.structured_content["changes"])
    state = await mcp.call_tool("state", {})
    assert state.structured_content is not None and "Welcome home" in state.structured_content["summary"]
    assert state.structured_content["exportable"] is True


@pytest.mark.parametrize(
    ("edit", "said", "not_said"),
    [
        pytest.param(
            "把标题改成“海边的早晨”，音乐调小一点", ["✅ 标题文字已修改", "✅ 背景音乐音量已调整"], "changed", id="zh"
        ),
        pytest.param(
            'change the title to "海边的早晨"', ["✅ Title text changed"], "已修改", id="en-with-chinese-title"
        ),
        pytest.param(
            'make the title gold and add a fade-out at the end, title "海边的早晨"',
            ["✅ Title color changed", "fade out changed: none → 1 s"],
            "_ms",
            id="settings-in-words",
        ),
    ],
)
async def test_a_silent_edit_is_summarised_in_the_language_it_was_asked_in(
    mcp: Client, backend: LocalBackend, edit: str, said: list[str], not_said: str
) -> None:
    first = await mcp.call_tool("generate", {"message": "generate a 5-second video of a beach", "wait_seconds": 60})
    assert first.structured_content is not None and first.structured_content["status"] == "done"
    backend.faults.force_silent(True, times=1)
    result = await mcp.call_tool("generate", {"message": edit, "wait_seconds": 60})
    assert not result.is_error, text_of(result)
    message = text_of(result)
    assert all(line in message for line in said), message
    assert not_said not in message.split("Timeline (")[0]
    assert "海边的早晨" in message


@pytest.mark.parametrize(
    ("message", "routed", "field"),
    [
        pytest.param("how many credits do I have left?", ["credits"], "credits", id="credits"),
        pytest.param("还剩多少积分", ["credits"], "credits", id="zh-credits"),
        pytest.param("show tracks", ["state"], "state", id="state"),
    ],
)
async def test_credits_and_status_requests_never_reach_the_chat(
    mcp: Client, backend: LocalBackend, message: str, routed: list[str], field: str
) -> None:
    result = await mcp.call_tool("generate", {"message": message})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["routed_to"] == routed and data["status"] == "done"
    assert data[field] is not None and data["job_id"]
    assert run_sse_calls(backend) == 0


@pytest.mark.parametrize(
    "message",
    [
        "generate a 5-second preview from this image with slow camera movement",
        "turn my photo into a 10 second clip",
        "用这张照片生成一段5秒的视频",
        "把我上傳的圖片做成影片",
    ],
)
async def test_a_request_about_this_picture_with_none_uploaded_asks_for_it_and_spends_nothing(
    mcp: Client, backend: LocalBackend, tmp_path: Path, message: str
) -> None:
    asked = await mcp.call_tool("generate", {"message": message, "wait_seconds": 60})
    # Asked either way: by the router when it reads the words as "upload my photo, then…", else
    # before the paid message.
    assert "Which file should I upload?" in text_of(asked) or (
        asked.is_error and "This project has no uploaded image yet" in text_of(asked)
    ), text_of(asked)
    assert run_sse_calls(backend) == 0
    # With the picture uploaded first, the same words go ahead.
    uploaded = await mcp.call_tool("upload", {"path": image(tmp_path, "beach.jpg")})
    assert not uploaded.is_error, text_of(uploaded)
    made = await mcp.call_tool("generate", {"message": message, "wait_seconds": 60})
    assert made.structured_content is not None and made.structured_content["status"] == "done", text_of(made)
    assert run_sse_calls(backend) == 1


async def test_an_export_request_through_generate_renders_without_the_chat(mcp: Client, backend: LocalBackend) -> None:
    await mcp.call_tool("generate", {"message": "generate a 5-second video of snow", "wait_seconds": 60})
    sent = run_sse_calls(backend)
    result = await mcp.call_tool("generate", {"message": "导出视频", "wait_seconds": 60})
    assert result.structured_content is not None and result.structured_content["routed_to"] == ["export"]
    assert result.structured_content["export"]["path"]
    assert run_sse_calls(backend) == sent


async def test_a_media_url_in_the_message_is_uploaded_first(mcp: Client, backend: LocalBackend) -> None:
    result = await mcp.call_tool(
        "generate", {"message": "make a 5 second video from https://example.com/pics/lake.jpg", "wait_seconds": 60}
    )
    data = result.structured_content
    assert data is not None and data["routed_to"][0] == "upload" and data["uploads"]
    assert data["status"] == "done"


async def test_exporting_an_empty_project_says_to_generate_first(mcp: Client, backend: LocalBackend) -> None:
    result = await mcp.call_tool("export", {"wait_seconds": 30})
    assert result.is_error
    assert "nothing to export yet" in text_of(result).lower() and "generate" in text_of(result).lower()
    assert renders_submitted(backend) == 0


# ---------------------------------------------------------------- error table


async def test_an_expired_token_is_renewed_transparently(mcp: Client, backend: LocalBackend) -> None:
    await mcp.call_tool("credits", {})
    backend.faults.expire_tokens()
    result = await mcp.call_tool("credits", {})
    assert not result.is_error, text_of(result)
    token_calls = [r for r in backend.store.requests() if r.path == "/api/auth/anonymous-token"]
    assert len(token_calls) == 2
    assert token_calls[0].headers["x-client-id"] == token_calls[1].headers["x-client-id"]


async def test_a_lost_session_is_replaced_transparently(mcp: Client, backend: LocalBackend) -> None:
    await mcp.call_tool("state", {})
    backend.faults.lose_session(None)
    result = await mcp.call_tool("state", {})
    assert not result.is_error, text_of(result)
    created = [r for r in backend.store.requests() if "with-session" in r.path]
    assert len(created) == 2


async def test_no_credits_for_an_anonymous_user_gives_the_registration_link(mcp: Client, backend: LocalBackend) -> None:
    await mcp.call_tool("credits", {})
    backend.faults.set_credits(None, 0)
    result = await mcp.call_tool("generate", {"message": "generate a 30-second video of the sea", "wait_seconds": 30})
    assert result.is_error
    assert "/register?bind=anon_" in text_of(result)


async def test_no_credits_for_a_registered_user_says_top_up(connect: Callable[..., Any], backend: LocalBackend) -> None:
    user = backend.add_user(credits=0)
    async with connect(NEMO_TOKEN=user.token) as client:
        result = await client.call_tool("generate", {"message": "generate a 30-second video of the sea"})
    assert result.is_error
    assert "Top up" in text_of(result) and "register" not in text_of(result)
    assert user.token not in everything(result)


async def test_an_unsupported_file_lists_the_formats_and_sends_nothing(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    before = len(backend.store.requests())
    result = await mcp.call_tool("upload", {"path": str(notes)})
    assert result.is_error and "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac" in text_of(result)
    uploads = [r for r in backend.store.requests()[before:] if "upload-video" in r.path]
    assert uploads == []


async def test_a_file_over_200_mb_suggests_compressing(mcp: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with open(big, "wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.truncate(201 * 1024 * 1024)
    result = await mcp.call_tool("upload", {"path": str(big)})
    assert result.is_error and "200 MB" in text_of(result) and "ompress" in text_of(result)


async def test_a_plan_blocked_export_says_it_is_not_about_credits(mcp: Client, backend: LocalBackend) -> None:
    await mcp.call_tool("generate", {"message": "generate a 5-second video of rain", "wait_seconds": 60})
    backend.faults.block_export(times=None)
    backend.configure()  # no-op: the auto-export above already happened before the block
    result = await mcp.call_tool("export", {"wait_seconds": 30, "new_render": True})
    assert result.is_error
    message = text_of(result)
    assert "not credits" in message and "upgrade your plan" in message


async def test_a_rate_limited_token_request_is_retried_once_after_30_seconds(
    mcp: Client, backend: LocalBackend, sleeps: Sleeps
) -> None:
    backend.faults.rate_limit_token_issues(times=1)
    result = await mcp.call_tool("credits", {})
    assert not result.is_error, text_of(result)
    assert 30.0 in sleeps.calls


async def test_upload_needs_exactly_one_of_path_or_url(mcp: Client) -> None:
    for arguments in ({}, {"path": "/a.png", "url": "https://x/a.png"}):
        result = await mcp.call_tool("upload", arguments)
        assert result.is_error and "exactly one" in text_of(result)


@pytest.mark.parametrize(
    ("arguments", "hint"),
    [
        pytest.param({"message": ""}, "message", id="empty-message"),
        pytest.param({"message": "x" * 4001}, "message", id="too-long"),
        pytest.param({"message": "hi", "wait_seconds": -1}, "wait_seconds", id="negative-wait"),
        pytest.param({"message": 42}, "message", id="wrong-type"),
    ],
)
async def test_bad_arguments_are_refused_with_the_field_named(
    mcp: Client, backend: LocalBackend, arguments: dict[str, Any], hint: str
) -> None:
    result = await mcp.call_tool("generate", arguments)
    assert result.is_error and hint in text_of(result)
    assert run_sse_calls(backend) == 0


# ----------------------------------------------------- timeouts and restarts


async def test_a_job_outlives_its_call_and_job_finishes_it(mcp: Client, backend: LocalBackend) -> None:
    backend.configure(generation_seconds=0.5)
    started = await mcp.call_tool("generate", {"message": "generate a 5-second video of a desert", "wait_seconds": 0})
    data = started.structured_content
    assert data is not None and data["status"] == "running" and data["job_id"]
    assert data["job_id"] in text_of(started) and data["next_step"]
    finished = await mcp.call_tool("job", {"job_id": data["job_id"], "wait_seconds": 60})
    assert finished.structured_content is not None and finished.structured_content["status"] == "done"
    assert run_sse_calls(backend) == 1


async def test_a_client_timeout_never_cancels_the_paid_work_nor_resends_it(mcp: Client, backend: LocalBackend) -> None:
    backend.configure(generation_seconds=0.6)
    await mcp.call_tool("state", {})  # set up, so the cut below falls while the generation runs
    message = {"message": "generate a 5-second video of a volcano"}
    with pytest.raises(MCPError):
        await mcp.call_tool("generate", message, read_timeout_seconds=0.2)
    # The user asks again: the server hands back the job already running instead of sending twice.
    again = await mcp.call_tool("generate", {**message, "wait_seconds": 60})
    data = again.structured_content
    assert data is not None and data["status"] == "done", text_of(again)
    assert "not sent again" in data["message"]
    assert run_sse_calls(backend) == 1


async def test_a_render_resumes_after_a_server_restart(connect: Callable[..., Any], backend: LocalBackend) -> None:
    async with connect() as client:
        await client.call_tool("generate", {"message": "generate a 5-second video of a river", "wait_seconds": 60})
        backend.faults.stall_renders(times=None)
        started = await client.call_tool("export", {"wait_seconds": 0.3, "new_render": True})
        assert started.structured_content is not None
        job_id = started.structured_content["job_id"]
        assert started.structured_content["status"] == "running"
    submitted = renders_submitted(backend)
    backend.faults.clear()
    backend.renders.release_stalled()  # the render finishes while no server is watching
    async with connect() as client:  # a new server: the first one and its tasks are gone
        resumed = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = resumed.structured_content
    assert data is not None and data["status"] == "done", text_of(resumed)
    assert Path(data["export"]["path"]).exists()
    assert renders_submitted(backend) == submitted  # polled the same render, never a new one


async def test_a_generation_cut_by_a_restart_is_recovered_from_state_not_resent(
    connect: Callable[..., Any], backend: LocalBackend
) -> None:
    backend.configure(generation_seconds=0.4)
    async with connect() as client:
        started = await client.call_tool(
            "generate", {"message": "generate a 5-second video of a glacier", "wait_seconds": 0}
        )
        assert started.structured_content is not None
        job_id = started.structured_content["job_id"]
        await in_flight(client, backend, job_id)  # the server goes away with the message in flight
    async with connect() as client:
        resumed = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = resumed.structured_content
    assert data is not None and data["status"] == "done", text_of(resumed)
    assert any("Video" in line for line in data["changes"])
    assert data["recovered"] is True
    assert run_sse_calls(backend) == 1


async def test_an_unknown_job_id_is_a_clear_error(mcp: Client) -> None:
    for job_id in ("gen_000000000000", "not a job"):
        result = await mcp.call_tool("job", {"job_id": job_id})
        assert result.is_error and "job" in text_of(result).lower()


async def test_no_result_ever_contains_the_token(mcp: Client, backend: LocalBackend, tmp_path: Path) -> None:
    seen: list[str] = []
    seen.append(everything(await mcp.call_tool("credits", {})))
    seen.append(everything(await mcp.call_tool("upload", {"path": image(tmp_path)})))
    seen.append(everything(await mcp.call_tool("generate", {"message": QUICK, "wait_seconds": 60})))
    seen.append(everything(await mcp.call_tool("state", {})))
    backend.faults.expire_tokens()
    seen.append(everything(await mcp.call_tool("export", {"wait_seconds": 60})))
    tokens = [t.token for t in backend.store.tokens()]
    assert tokens
    blob = "\n".join(seen)
    for token in tokens:
        assert token not in blob
    assert "nmv_usr_" not in blob
