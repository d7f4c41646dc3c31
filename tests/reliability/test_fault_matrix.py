"""The fault matrix: every failure the backend can throw at a session, through the MCP tools and
the command line. Each row checks three things: what the user reads (and that it names the next
step), that no paid work went to the backend twice, and that the state on disk stays consistent.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from kling_ai_30.cli import main
from kling_ai_30.client.backend import BackendClient
from kling_ai_30.client.session import Session
from kling_ai_30.config import load_settings
from kling_ai_30.errors import BackendUnavailableError
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity

from .conftest import (
    RUN_SSE,
    TOKEN,
    FakeTime,
    Progress,
    credits_spent,
    messages_sent,
    polled_render_ids,
    read_disk,
    render_submits,
    requests_to,
    text_of,
)

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a mountain lake"
EDIT = 'add a title "Night Falls"'


async def call(mcp: Client, tool: str, progress: Progress | None = None, **arguments: Any) -> dict[str, Any]:
    """A tool call that must succeed; returns its structured result."""
    result = await mcp.call_tool(tool, arguments, progress_callback=progress)
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert isinstance(data, dict)
    return data


async def refused(mcp: Client, tool: str, **arguments: Any) -> str:
    """A tool call that must fail; returns the text the user reads."""
    result = await mcp.call_tool(tool, arguments)
    assert result.is_error, text_of(result)
    return text_of(result)


async def generated(mcp: Client) -> dict[str, Any]:
    data = await call(mcp, "generate", message=GENERATE, wait_seconds=60)
    assert data["status"] == "done"
    return data


def only_job_of(home: Path, kind: str) -> dict[str, Any]:
    jobs = [job for job in read_disk(home).jobs.values() if job["kind"] == kind]
    return max(jobs, key=lambda job: job["created_at"])


# ------------------------------------------------------------------------- auth and session


async def test_a_token_that_expires_mid_session_is_renewed_with_the_same_client_id_and_nothing_is_sent_twice(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    await generated(mcp)
    backend.faults.expire_tokens()
    edit = await call(mcp, "generate", message=EDIT, wait_seconds=60)
    assert edit["status"] == "done" and "Night Falls" in edit["timeline"]
    backend.faults.expire_tokens()
    exported = await call(mcp, "export", wait_seconds=60)
    assert Path(exported["export"]["path"]).is_file()

    issued = requests_to(backend, TOKEN)
    assert len(issued) == 3 and len({r.headers["x-client-id"] for r in issued}) == 1
    # Each expiry cost one refused request (401) and a renewal; each message was sent exactly once.
    assert sum(1 for r in backend.store.requests() if r.status == 401) == 2
    assert [r.status for r in requests_to(backend, RUN_SSE)] == [200, 200]
    assert render_submits(backend) == 2  # the generation's own export, then the one asked for
    assert all(job["status"] == "done" for job in read_disk(private_home).jobs.values())


async def test_a_session_the_backend_lost_is_replaced_saved_and_the_user_told(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    await generated(mcp)
    lost = read_disk(private_home).project["session"]["session_id"]
    backend.faults.lose_session(None)
    state = await call(mcp, "state")
    assert "new one was started" in state["message"] and "earlier edits" in state["message"]
    assert state["summary"].startswith("Timeline is empty")
    project = read_disk(private_home).project
    assert project["session"]["session_id"] != lost and project["session"]["replacements"] == 1
    # Told once, not on every result after.
    assert "new one was started" not in (await call(mcp, "credits"))["message"]


@pytest.mark.parametrize(("refusals", "works"), [pytest.param(1, True, id="once"), pytest.param(2, False, id="twice")])
async def test_a_rate_limited_token_request_is_retried_once_after_30_seconds(
    mcp: Client, backend: LocalBackend, fake_time: FakeTime, refusals: int, works: bool
) -> None:
    backend.faults.rate_limit_token_issues(times=refusals)
    result = await mcp.call_tool("credits", {})
    assert fake_time.sleeps.count(30.0) == 1
    assert len(requests_to(backend, TOKEN)) == 2
    if works:
        assert not result.is_error, text_of(result)
    else:
        assert result.is_error and "even after waiting" in text_of(result) and "Set NEMO_TOKEN" in text_of(result)
        assert [r.path for r in backend.store.requests()] == [TOKEN, TOKEN]  # nothing else was attempted


@pytest.mark.parametrize("who", ["anonymous", "registered"])
async def test_no_credits_is_refused_before_any_work_with_the_next_step_for_the_account(
    connect: Callable[..., Any], backend: LocalBackend, private_home: Path, who: str
) -> None:
    env: dict[str, str] = {}
    if who == "registered":
        env["NEMO_TOKEN"] = backend.add_user(credits=0).token
    async with connect(**env) as mcp:
        await call(mcp, "credits")
        backend.faults.set_credits(None, 0)
        message = await refused(mcp, "generate", message=GENERATE, wait_seconds=30)
    if who == "anonymous":
        assert "out of credits" in message and "/register?bind=anon_" in message
    else:
        assert "Top up credits in your account" in message and "register" not in message.lower()
    # Refused before any work: the balance cannot cover the estimate, so nothing was sent or charged.
    assert messages_sent(backend) == 0 and credits_spent(backend) == 0 and render_submits(backend) == 0
    assert "not sent" in message and "nothing was spent" in message
    assert read_disk(private_home).jobs == {}


# ---------------------------------------------------------------------------------- export


async def test_a_plan_blocked_export_says_it_is_the_plan_not_credits_and_is_not_retried(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    await generated(mcp)
    exports_before = len(read_disk(private_home).project["exports"])
    submitted = render_submits(backend)
    backend.faults.block_export(times=None)
    message = await refused(mcp, "export", wait_seconds=30, new_render=True)
    assert "not credits" in message and "upgrade your plan" in message
    assert render_submits(backend) == submitted + 1
    job = only_job_of(private_home, "export")
    assert job["status"] == "failed" and job["error"]["code"] == 402 and job["id"] in message
    assert len(read_disk(private_home).project["exports"]) == exports_before


async def test_a_blocked_export_after_a_generation_still_reports_the_paid_generation(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    backend.faults.block_export(times=None)
    data = await call(mcp, "generate", message=GENERATE, wait_seconds=60)
    # The video was made (and paid for): the result says so, and says the export was not done,
    # so nobody sends the message again.
    assert data["status"] == "done" and "Video" in data["timeline"] and data["export"] is None
    assert "Not exported" in data["message"] and "upgrade your plan" in data["message"]
    assert messages_sent(backend) == 1
    job = read_disk(private_home).job(data["job_id"])
    assert job["status"] == "done" and job["result"]["export_error"]["code"] == 402


@pytest.mark.parametrize(
    ("failures", "delivered"), [pytest.param(1, True, id="once-then-retried"), pytest.param(2, False, id="twice")]
)
async def test_a_failed_render_is_retried_once_with_a_new_id(
    mcp: Client, backend: LocalBackend, private_home: Path, failures: int, delivered: bool
) -> None:
    await generated(mcp)
    submitted, polled = render_submits(backend), polled_render_ids(backend)
    backend.faults.fail_renders(times=failures, error="GPU node lost")
    result = await mcp.call_tool("export", {"wait_seconds": 60, "new_render": True})
    new_ids = polled_render_ids(backend) - polled
    assert render_submits(backend) == submitted + 2 and len(new_ids) == 2
    job = only_job_of(private_home, "export")
    assert set(job["render_ids"]) == new_ids
    if delivered:
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        assert Path(result.structured_content["export"]["path"]).is_file()
        assert job["status"] == "done"
    else:
        assert result.is_error
        assert "GPU node lost" in text_of(result) and "so did the retry" in text_of(result)
        assert "Try exporting again" in text_of(result)
        assert job["status"] == "failed" and job["error"]["type"] == "RenderFailedError"


async def test_a_render_that_never_finishes_stops_waiting_after_the_bound_and_the_job_resumes_it(
    mcp: Client, backend: LocalBackend, private_home: Path, fake_time: FakeTime
) -> None:
    await generated(mcp)
    submitted, polled = render_submits(backend), polled_render_ids(backend)
    backend.faults.stall_renders(times=None)
    message = await refused(mcp, "export", wait_seconds=60, new_render=True)
    assert "has not finished after 15 minutes" in message and "ask for this job again" in message
    job = only_job_of(private_home, "export")
    assert job["id"] in message and job["status"] == "failed" and job["error"]["type"] == "RenderTimeoutError"
    assert 15 * 60 <= sum(fake_time.sleeps) <= 16 * 60 + 60  # the bound, on the fake clock
    [stalled] = polled_render_ids(backend) - polled

    backend.faults.clear()
    backend.renders.release_stalled()
    data = await call(mcp, "job", job_id=job["id"], wait_seconds=60)
    assert data["status"] == "done" and Path(data["export"]["path"]).is_file()
    assert data["export"]["render_id"] == stalled
    assert render_submits(backend) == submitted + 1 and polled_render_ids(backend) - polled == {stalled}
    assert read_disk(private_home).job(job["id"])["status"] == "done"


async def test_a_render_that_never_finishes_after_a_generation_resumes_the_render_not_the_chat(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    backend.faults.stall_renders(times=None)
    started = await mcp.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    assert started.is_error and "ask for this job again" in text_of(started)
    job = only_job_of(private_home, "generate")
    assert job["error"]["type"] == "RenderTimeoutError" and len(job["render_ids"]) == 1
    assert job["id"] in text_of(started)  # the id "ask for this job again" needs

    backend.faults.clear()
    backend.renders.release_stalled()
    data = await call(mcp, "job", job_id=job["id"], wait_seconds=60)
    assert data["status"] == "done" and Path(data["export"]["path"]).is_file()
    assert data["export"]["render_id"] == job["render_ids"][0]
    assert "Video" in data["timeline"] and "✅ Video ready" in data["message"]
    assert messages_sent(backend) == 1 and render_submits(backend) == 1


# ------------------------------------------------------------------------------ the stream


@pytest.mark.parametrize(
    ("phase", "mode"),
    [
        pytest.param("before_first_event", "abort", id="cut-before-the-first-event"),
        pytest.param("mid_tool_call", "abort", id="cut-mid-tool-call"),
        pytest.param("after_text", "abort", id="cut-after-text"),
        pytest.param("before_first_event", "close", id="closed-before-the-first-event"),
        pytest.param("mid_tool_call", "close", id="closed-mid-tool-call"),
    ],
)
async def test_a_dropped_stream_is_recovered_from_the_state_and_never_sent_again(
    mcp: Client, backend: LocalBackend, private_home: Path, fake_time: FakeTime, phase: str, mode: str
) -> None:
    backend.faults.drop_stream(phase, mode=mode)  # type: ignore[arg-type]
    progress = Progress()
    data = await call(mcp, "generate", progress, message=GENERATE, wait_seconds=60)
    assert data["status"] == "done"
    assert any(line.startswith("✅ Video added") for line in data["changes"]), data["message"]
    assert "Video: mountain lake" in data["timeline"]
    assert "your request was not sent again" in progress.text
    assert fake_time.sleeps[0] == 30.0  # the first state check, on the recovery schedule
    assert messages_sent(backend) == 1
    job = read_disk(private_home).job(data["job_id"])
    assert job["status"] == "done" and job["result"]["reply"]["recovered"] is True


async def test_a_stream_closed_cleanly_after_the_reply_text_is_taken_as_the_reply(
    mcp: Client, backend: LocalBackend
) -> None:
    # Indistinguishable from a finished text reply: the text is shown, nothing is re-sent, and
    # the timeline shows the rest when the user next asks.
    backend.faults.drop_stream("after_text", mode="close")
    data = await call(mcp, "generate", message=GENERATE, wait_seconds=60)
    assert data["status"] == "done" and data["reply"]
    assert messages_sent(backend) == 1
    backend.wait_idle()
    assert "Video: mountain lake" in (await call(mcp, "state"))["summary"]


async def test_an_error_in_the_middle_of_the_stream_is_shown_and_nothing_is_resent(
    mcp: Client, backend: LocalBackend, private_home: Path
) -> None:
    backend.faults.stream_error("GPU pool exhausted", phase="mid_tool_call")
    message = await refused(mcp, "generate", message=GENERATE, wait_seconds=60)
    assert "GPU pool exhausted" in message and "check the session state before sending it again" in message
    assert messages_sent(backend) == 1
    job = only_job_of(private_home, "generate")
    assert job["status"] == "failed" and job["error"]["type"] == "StreamError"


# ------------------------------------------------------------------ transport failures


async def test_5xx_on_reads_is_retried_with_backoff_and_a_lasting_one_is_reported(
    mcp: Client, backend: LocalBackend, fake_time: FakeTime, private_home: Path
) -> None:
    await call(mcp, "state")
    backend.faults.http_error("/api/state", 503, times=2)
    fake_time.sleeps.clear()
    assert (await call(mcp, "state"))["summary"].startswith("Timeline")
    assert fake_time.sleeps == [0.5, 1.0]

    backend.faults.http_error("/api/state", 502, times=None)
    before = len(backend.store.requests())
    message = await refused(mcp, "state")
    assert "backend failed (HTTP 502)" in message and "Try again in a minute" in message
    assert len(backend.store.requests()) - before == 3  # bounded: one try and two retries
    assert read_disk(private_home).project["session"]["session_id"]


@pytest.mark.parametrize(
    ("path", "tool", "arguments", "next_step"),
    [
        # A gateway may have passed the message on before its 5xx: the state is watched, never re-sent.
        pytest.param(
            RUN_SSE,
            "generate",
            {"message": GENERATE, "wait_seconds": 30},
            "has not changed after 5 checks",
            id="chat-message",
        ),
        pytest.param(
            "/api/upload-video", "upload", {"url": "https://example.com/lake.jpg"}, "Try again in a minute", id="upload"
        ),
    ],
)
async def test_5xx_on_a_request_that_does_work_is_reported_and_never_resent(
    mcp: Client,
    backend: LocalBackend,
    private_home: Path,
    path: str,
    tool: str,
    arguments: dict[str, Any],
    next_step: str,
) -> None:
    await call(mcp, "state")
    backend.faults.http_error(path, 503, times=1)
    message = await refused(mcp, tool, **arguments)
    assert "HTTP 503" in message and next_step in message
    assert "nothing was charged" not in message
    assert len([r for r in backend.store.requests() if r.path.startswith(path)]) == 1
    disk = read_disk(private_home)
    assert disk.project["uploads"] == [] and all(job["status"] == "failed" for job in disk.jobs.values())


@pytest.mark.parametrize(
    ("method", "attempts"),
    [pytest.param("GET", 3, id="read-retried"), pytest.param("POST", 1, id="chat-message-not-resent")],
)
async def test_a_request_that_times_out_is_retried_only_when_repeating_it_cannot_double_anything(
    method: str, attempts: int
) -> None:
    seen: list[str] = []

    def too_slow(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        raise httpx.ReadTimeout("no answer", request=request)

    async def no_wait(seconds: float) -> None:
        pass

    settings = load_settings({"NEMO_TOKEN": "nmv_usr_timeouttest"}, api_url="http://backend.test")
    transport = httpx.MockTransport(too_slow)
    async with BackendClient(settings, load_identity(), transport=transport, sleep=no_wait) as client:
        with pytest.raises(BackendUnavailableError, match="did not answer in time") as caught:
            if method == "GET":
                await client.credits()
            else:
                async with client.chat_stream(Session(session_id="s1"), GENERATE):
                    pass
    assert len(seen) == attempts and "NEMO_API_URL" in str(caught.value)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_a_refused_connection_is_retried_a_bounded_number_of_times_and_names_the_setting(
    connect: Callable[..., Any], fake_time: FakeTime
) -> None:
    url = closed_port_url()
    async with connect(api_url=url) as mcp:
        message = await refused(mcp, "credits")
    assert f"Cannot reach the NemoVideo backend at {url}" in message and "NEMO_API_URL" in message
    assert fake_time.sleeps == [0.5, 1.0]


async def test_a_slow_chat_returns_a_job_id_in_time_and_the_job_finishes_without_resending(
    mcp: Client, backend: LocalBackend
) -> None:
    backend.faults.delay(RUN_SSE, 0.6, times=1)
    backend.faults.delay("/api/credits", 0.3, times=1)
    assert (await call(mcp, "credits"))["available"] == 100
    started = await call(mcp, "generate", message=GENERATE, wait_seconds=0.2)
    assert started["status"] == "running" and started["job_id"] in started["next_step"]
    done = await call(mcp, "job", job_id=started["job_id"], wait_seconds=60)
    assert done["status"] == "done" and "Video" in done["timeline"]
    assert messages_sent(backend) == 1


# ---------------------------------------------------------------------- the command line


@pytest.fixture
def cli(backend: LocalBackend, base_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """``cli(*argv)`` → (exit code, stdout, stderr), against the shared backend the way a user points
    the CLI at any backend (its sleeps are real, so these rows avoid the waiting faults)."""
    monkeypatch.setenv("NEMO_API_URL", base_url)
    monkeypatch.setenv("NEMO_WEB_URL", base_url)

    def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        code = main([*argv, "--quiet"])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


@pytest.mark.parametrize(
    ("fault", "argv", "code", "said"),
    [
        pytest.param("expire_tokens", ["credits"], 0, "available", id="expired-token"),
        pytest.param("lose_session", ["state"], 0, "Timeline is empty", id="lost-session"),
        pytest.param(
            "no_credits", ["generate", "--no-export", GENERATE], 1, "/register?bind=anon_", id="no-credits-anonymous"
        ),
        pytest.param("block_export", ["export"], 1, "not credits", id="plan-blocked-export"),
        pytest.param("stream_error", ["generate", "--no-export", EDIT], 1, "GPU pool exhausted", id="mid-stream-error"),
        pytest.param("read_5xx_once", ["credits"], 0, "available", id="5xx-on-a-read-retried"),
        # No chat 5xx row: the message may be on the backend then, so it is watched for minutes.
    ],
)
def test_the_command_line_survives_the_same_faults_with_exit_codes(
    cli: Callable[..., Any],
    backend: LocalBackend,
    private_home: Path,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    argv: list[str],
    code: int,
    said: str,
) -> None:
    assert cli("generate", "--no-export", GENERATE, capsys=capsys)[0] == 0
    sent = messages_sent(backend)
    inject: dict[str, Callable[[], object]] = {
        "expire_tokens": lambda: backend.faults.expire_tokens(),
        "lose_session": lambda: backend.faults.lose_session(None),
        "no_credits": lambda: backend.faults.set_credits(None, 0),
        "block_export": lambda: backend.faults.block_export(times=None),
        "stream_error": lambda: backend.faults.stream_error("GPU pool exhausted"),
        "read_5xx_once": lambda: backend.faults.http_error("/api/credits", 503, times=1),
    }
    inject[fault]()
    exit_code, out, err = cli(*argv, capsys=capsys)
    assert exit_code == code, out + err
    assert said in out + err
    assert messages_sent(backend) - sent == (1 if fault == "stream_error" else 0)  # no credits: refused unsent
    assert render_submits(backend) == (1 if fault == "block_export" else 0)  # refused once, never retried
    read_disk(private_home)


def test_the_command_line_names_the_registered_next_step_when_credits_run_out(
    cli: Callable[..., Any], backend: LocalBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user = backend.add_user(credits=0)
    monkeypatch.setenv("NEMO_TOKEN", user.token)
    exit_code, out, err = cli("generate", "--no-export", GENERATE, capsys=capsys)
    assert exit_code == 1 and "Top up credits in your account" in out + err
    assert user.token not in out + err
    assert messages_sent(backend) == 0 and credits_spent(backend) == 0


def test_the_command_line_reports_an_unreachable_backend_with_exit_1(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = closed_port_url()
    monkeypatch.setenv("NEMO_API_URL", url)
    exit_code, _, err = cli("credits", capsys=capsys)
    assert exit_code == 1 and f"Cannot reach the NemoVideo backend at {url}" in err and "NEMO_API_URL" in err
