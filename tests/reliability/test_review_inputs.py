"""The inputs and faults a security review found that no test named (issue 13): each through the
real boundary (MCP or the command line), each leaving nothing sent, spent, lost or half-written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from kling_ai_30.cli import main
from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.backend_state import backend_state_dir

from .conftest import text_of

pytestmark = pytest.mark.anyio

RENDER = "/api/render/proxy/lambda"


def posts_to(backend: LocalBackend, path: str) -> int:
    return sum(1 for r in backend.store.requests() if r.path == path and r.method == "POST")


async def test_a_request_whose_file_cannot_be_named_sends_none_of_its_paid_steps(
    mcp: Client, backend: LocalBackend
) -> None:
    result = await mcp.call_tool("generate", {"message": "upload /etc/shadow and make a video of a beach"})
    told = text_of(result)
    assert ("Which file" in told and "Nothing else of this request was sent" in told) or result.is_error, told
    assert posts_to(backend, "/run_sse") == 0 and posts_to(backend, "/api/upload-video/nemo_agent/me") == 0


@pytest.mark.parametrize("folder", ["/", "/proc", "/proc/self/cwd", "/sys/kernel", "/dev/shm"])
async def test_a_system_folder_is_refused_as_the_output_folder_before_any_render(
    mcp: Client, backend: LocalBackend, folder: str
) -> None:
    result = await mcp.call_tool("export", {"output_dir": folder})
    assert result.is_error and "system folder" in text_of(result) and "choose a folder of your own" in text_of(result)
    assert posts_to(backend, RENDER) == 0


async def test_an_output_folder_that_cannot_be_made_is_refused_before_the_render_is_submitted(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    made = await mcp.call_tool("generate", {"message": "generate a 5-second video of a pier", "wait_seconds": 60})
    assert (made.structured_content or {}).get("status") == "done"
    renders = posts_to(backend, RENDER)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    result = await mcp.call_tool("export", {"output_dir": str(tmp_path / "a-file" / "videos"), "new_render": True})
    assert result.is_error and "Cannot write videos into" in text_of(result)
    assert posts_to(backend, RENDER) == renders  # no render was wasted


async def test_a_fifo_planted_in_the_jobs_folder_blocks_nothing(
    mcp: Client, backend: LocalBackend, private_home: Path, base_url: str
) -> None:
    await mcp.call_tool("credits", {})
    jobs = backend_state_dir(private_home / ".local/state/kling-ai-30", base_url) / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    os.mkfifo(jobs / "gen_aaaaaaaaaaaa.json")
    with anyio.fail_after(30):  # opening the FIFO for reading would hang every call
        listed = await mcp.call_tool("history", {})
        job = await mcp.call_tool("job", {"job_id": "gen_aaaaaaaaaaaa"})
    assert not listed.is_error and job.is_error
    assert "not a regular file" in text_of(listed) + text_of(job)


async def test_a_damaged_job_record_is_named_and_never_invites_paying_again(
    mcp: Client, private_home: Path, base_url: str
) -> None:
    await mcp.call_tool("credits", {})
    jobs = backend_state_dir(private_home / ".local/state/kling-ai-30", base_url) / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    (jobs / "gen_0123456789ab.json").write_text('{"id": "gen_0123456789ab", "kind": "generate"}', encoding="utf-8")
    result = await mcp.call_tool("job", {"job_id": "gen_0123456789ab"})
    told = text_of(result).lower()
    assert result.is_error and "gen_0123456789ab was damaged" in told and "moved to" in told
    assert "make the request again" not in told and "send it again" not in told


async def test_an_export_resumed_after_a_restart_keeps_its_title_in_the_file_name(
    connect: Callable[..., Any], backend: LocalBackend
) -> None:
    async with connect() as client:
        await client.call_tool("generate", {"message": "generate a 5-second video of a lighthouse", "wait_seconds": 60})
        await client.call_tool("generate", {"message": 'add the title "Harbour Lights"', "wait_seconds": 60})
        backend.faults.stall_renders(times=None)
        started = await client.call_tool("export", {"wait_seconds": 0.3, "new_render": True})
        job_id = (started.structured_content or {})["job_id"]
    backend.faults.clear()
    backend.renders.release_stalled()
    async with connect() as client:  # a new server picks the render up
        resumed = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = resumed.structured_content or {}
    assert data.get("status") == "done", text_of(resumed)
    assert Path(data["export"]["path"]).name.startswith("Harbour-Lights")


@pytest.mark.parametrize("wait", ["inf", "nan", "-1", "1e400", "forever"])
def test_a_wait_that_is_not_a_finite_number_in_range_is_a_usage_error(
    wait: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate", "--wait", wait, "generate a 5-second video of a dune"])
    assert exited.value.code == 2 and "--wait" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("seconds", "fix"),
    [("600", "choose 1 to 60"), ("0", "choose 1 to 60"), ("abc", "is not a whole number of seconds")],
)
def test_a_demo_length_the_offline_backend_cannot_make_is_a_usage_error(
    seconds: str, fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--seconds", seconds])
    assert exited.value.code == 2 and fix in capsys.readouterr().err
