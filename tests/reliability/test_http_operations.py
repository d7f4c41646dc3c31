"""Operating ``serve --http`` (issue 13, item 7): SIGTERM saves running jobs and exits 0, the next
server finishes them without sending anything twice; the logs are JSON lines that name the
principal and the job and never a token; ``/healthz`` answers without a token and says nothing secret.
"""

from __future__ import annotations

import secrets
import signal
from pathlib import Path

import anyio
import httpx
import pytest

from kling_ai_30.local import LocalBackend

from ..http_server import http_client, served_http, stop
from .conftest import messages_sent, polled_render_ids, read_disk, render_submits, text_of, wait_for
from .test_crash_safety import job_file

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a glacier"


def own_token(home: Path) -> str:
    return (home / ".config/kling-ai-30/http-token").read_text(encoding="ascii").strip()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
async def test_a_stop_signal_saves_the_running_job_exits_0_and_the_next_server_finishes_it_once(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path, sig: int
) -> None:
    backend.faults.stall_renders(times=None)
    with served_http(private_home, base_url, log=tmp_path / "first.log") as served:
        token = own_token(private_home)
        async with http_client(served.url, token) as client:
            started = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 0})
            job_id = str((started.structured_content or {})["job_id"])
            await wait_for(
                lambda: bool(job_file(private_home, job_id)["render_ids"]) and bool(polled_render_ids(backend))
            )

            # A caller still waiting on the job when the signal comes: its stream is cut after the grace.
            async def wait_on_it() -> None:
                try:
                    await client.call_tool("job", {"job_id": job_id, "wait_seconds": 120})
                except Exception:  # the server went away mid-call: any failure is fine here
                    return

            async with anyio.create_task_group() as group:
                group.start_soon(wait_on_it)
                await anyio.sleep(0.5)
                assert await anyio.to_thread.run_sync(stop, served.process, sig) == 0
                group.cancel_scope.cancel()
        assert any(line["message"].startswith("stopped; running jobs are saved") for line in served.logs())
    [render_id] = job_file(private_home, job_id)["render_ids"]
    assert read_disk(private_home).job(job_id)["status"] == "running"

    backend.faults.clear()
    backend.renders.release_stalled()  # the render finishes while no server is watching
    with served_http(private_home, base_url, log=tmp_path / "second.log") as served:
        async with http_client(served.url, token, mode="auto") as client:
            resumed = await client.call_tool("job", {"job_id": job_id, "wait_seconds": 60})
    data = resumed.structured_content
    assert data is not None and data["status"] == "done", text_of(resumed)
    assert data["export"]["render_id"] == render_id and Path(data["export"]["path"]).is_file()
    assert render_submits(backend) == 1 and polled_render_ids(backend) == {render_id}
    assert messages_sent(backend) == 1
    assert read_disk(private_home).job(job_id)["status"] == "done"


async def test_logs_are_json_lines_naming_the_principal_and_job_and_never_a_token(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    alice, bob, stranger = (secrets.token_urlsafe(32) for _ in range(3))
    nemo = backend.add_user(credits=10_000).token
    tokens = tmp_path / "tokens"
    tokens.write_text(f"alice {alice} {nemo}\nbob {bob}\n", encoding="ascii")
    args = ("--tokens-file", str(tokens), "--verbose")
    with served_http(private_home, base_url, *args, log=tmp_path / "server.log") as served:
        async with http_client(served.url, alice) as client:
            made = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 120})
        async with http_client(served.url, bob, mode="auto") as client:
            await client.call_tool("credits", {})
        refused = httpx.post(served.url, json={}, headers={"Authorization": f"Bearer {stranger}"}, timeout=10)
        health = httpx.get(served.base + "/healthz", timeout=10)
        logs = served.logs()  # every line parses as JSON
        everything = served.stdout + served.log_text() + health.text + refused.text
    job_id = (made.structured_content or {})["job_id"]
    assert refused.status_code == 401
    assert set(health.json()) == {"status", "name", "version"}
    assert any(
        line.get("principal") == "alice" and line.get("tool") == "generate" and line.get("job_id") == job_id
        for line in logs
    )
    assert any(line.get("principal") == "bob" and line.get("tool") == "credits" for line in logs)
    assert {"time", "level", "logger", "message"} <= set(logs[0])
    for secret in (alice, bob, stranger, nemo):
        assert secret not in everything
