"""The client's recoveries and error mapping, with a scripted transport and an injected clock."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.client.session import Session
from kling_ai_30.config import Settings, load_settings
from kling_ai_30.errors import (
    APIError,
    BackendUnavailableError,
    ExportBlockedError,
    FileTooLargeError,
    InputError,
    InsufficientCreditsError,
    OutputFolderError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    TokenExpiredError,
    UnsupportedFileError,
)
from kling_ai_30.skill import SkillIdentity

from .fake_backend import FakeBackend, fail, ok

pytestmark = pytest.mark.anyio

TOKEN_PATH = "/api/auth/anonymous-token"
IDENTITY = SkillIdentity(name="kling-ai-30", version="1.2.3", platform="cursor", skill_dir=None)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(
    fake: FakeBackend,
    settings: Settings | None = None,
    sleeps: Sleeps | None = None,
    now: float = 1_000_000.0,
    **kwargs: object,
) -> BackendClient:
    return BackendClient(
        settings or load_settings({}, api_url="http://backend.test"),
        IDENTITY,
        transport=fake.transport(),
        sleep=sleeps or Sleeps(),
        clock=lambda: now,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_first_use_gets_an_anonymous_token_with_attribution_and_client_id() -> None:
    fake = FakeBackend()
    async with make_client(fake) as client:
        credits = await client.credits()
    assert (credits.available, credits.frozen, credits.total) == (90, 10, 100)
    token_call, credits_call = fake.requests
    assert "authorization" not in token_call.headers
    assert len(token_call.headers["x-client-id"]) == 36
    for request in fake.requests:
        assert request.headers["x-skill-source"] == "kling-ai-30"
        assert request.headers["x-skill-version"] == "1.2.3"
        assert request.headers["x-skill-platform"] == "cursor"
    assert credits_call.headers["authorization"] == "Bearer nmv_usr_fake0001"


async def test_a_restart_reuses_the_cached_token_and_client_id(private_home: Path) -> None:
    fake = FakeBackend()
    async with make_client(fake) as client:
        await client.credits()
    async with make_client(fake) as client:
        await client.credits()
    assert fake.tokens_issued == 1
    cache = private_home / ".config/kling-ai-30/tokens.json"
    client_id = private_home / ".config/nemovideo/client_id"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert client_id.read_text(encoding="utf-8").strip() == fake.requests[0].headers["x-client-id"]


async def test_an_expired_cached_token_is_renewed_with_the_same_client_id() -> None:
    fake = FakeBackend()
    async with make_client(fake) as client:
        await client.credits()
    far_future = 4_102_444_800.0 + 1  # after the fake's expires_at (2099-12-31)
    async with make_client(fake, now=far_future) as client:
        await client.credits()
    token_calls = [r for r in fake.requests if r.url.path == "/api/auth/anonymous-token"]
    assert len(token_calls) == 2
    assert token_calls[0].headers["x-client-id"] == token_calls[1].headers["x-client-id"]


async def test_a_rejected_token_is_renewed_once_and_the_request_retried() -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", fail(1001, "token expired", status=401))
    async with make_client(fake) as client:
        credits = await client.credits()
    assert credits.available == 90
    assert fake.tokens_issued == 2
    assert fake.requests[-1].headers["authorization"] == "Bearer nmv_usr_fake0002"


async def test_a_token_rejected_twice_raises_an_actionable_error() -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", fail(1001), fail(1001))
    async with make_client(fake) as client:
        with pytest.raises(TokenExpiredError, match="try again"):
            await client.credits()
    assert fake.tokens_issued == 2


async def test_a_rejected_user_token_is_never_swapped_for_an_anonymous_one() -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", fail(1001, status=401))
    settings = load_settings({"NEMO_TOKEN": "nmv_usr_mine"}, api_url="http://backend.test")
    async with make_client(fake, settings) as client:
        with pytest.raises(TokenExpiredError, match="NEMO_TOKEN") as caught:
            await client.credits()
    assert fake.tokens_issued == 0
    assert "nmv_usr_mine" not in str(caught.value)


async def test_a_lost_session_is_replaced_once_and_the_caller_told() -> None:
    fake = FakeBackend()
    replaced: list[str] = []
    fake.queue("GET", "/api/state/", fail(1002, "Session not found", status=404))
    async with make_client(fake, on_session_replaced=lambda s: replaced.append(s.session_id)) as client:
        session = await client.create_session(language="zh-CN")
        state = await client.state(session)
    assert session.session_id == "1002"
    assert session.replacements == 1
    assert replaced == ["1002"]
    assert state.session_id == "1002"
    create_calls = [r for r in fake.requests if "with-session" in r.url.path]
    assert [r.content for r in create_calls] == [b'{"task_name":"project","language":"zh-CN"}'] * 2


async def test_a_missing_client_id_answer_gets_a_fresh_client_id(private_home: Path) -> None:
    fake = FakeBackend()
    fake.queue("POST", "/api/auth/anonymous-token", fail(400, "Missing X-Client-Id", status=400))
    async with make_client(fake) as client:
        await client.credits()
    first, second = (r for r in fake.requests if r.url.path == "/api/auth/anonymous-token")
    assert first.headers["x-client-id"] != second.headers["x-client-id"]
    stored = (private_home / ".config/nemovideo/client_id").read_text(encoding="utf-8").strip()
    assert stored == second.headers["x-client-id"]


async def test_a_rate_limited_token_call_waits_30_seconds_and_retries_once() -> None:
    fake = FakeBackend()
    sleeps = Sleeps()
    fake.queue("POST", "/api/auth/anonymous-token", fail(429, "rate limited", status=429))
    async with make_client(fake, sleeps=sleeps) as client:
        await client.credits()
    assert sleeps.calls == [30.0]


async def test_a_second_rate_limit_is_reported_with_what_to_do() -> None:
    fake = FakeBackend()
    sleeps = Sleeps()
    fake.queue("POST", "/api/auth/anonymous-token", fail(429, status=429), fail(429, status=429))
    async with make_client(fake, sleeps=sleeps) as client:
        with pytest.raises(RateLimitedError, match="NEMO_TOKEN"):
            await client.credits()
    assert sleeps.calls == [30.0]


@pytest.mark.parametrize(
    ("answer", "error", "hint"),
    [
        pytest.param(fail(2001, "no credits"), InsufficientCreditsError, "register?bind=anon_fakeuser", id="2001-anon"),
        pytest.param(fail(4001), UnsupportedFileError, "Supported formats", id="4001"),
        pytest.param(fail(4002), FileTooLargeError, "compress", id="4002"),
        pytest.param(fail(402, "payment required", status=402), ExportBlockedError, "not credits", id="402"),
        pytest.param(httpx.Response(402, text="Payment Required"), ExportBlockedError, "plan", id="402-no-json"),
        pytest.param(httpx.Response(503, text="down"), ServerError, "Try again", id="503"),
        pytest.param(
            httpx.Response(404, json={"detail": "Session not found: 1"}),
            SessionNotFoundError,
            "session",
            id="adk-404-twice",
        ),
    ],
)
async def test_backend_errors_become_actionable_exceptions(
    answer: httpx.Response, error: type[Exception], hint: str
) -> None:
    fake = FakeBackend()
    # Queued twice so recoveries (new session, transient retries) meet the same answer again.
    fake.queue("GET", "/api/state/", answer, answer, answer)
    async with make_client(fake) as client:
        session = await client.create_session()
        with pytest.raises(error, match=re.escape(hint)):
            await client.state(session)


async def test_registered_users_out_of_credits_are_told_to_top_up() -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", fail(2001))
    fake.queue("POST", "/api/tasks", ok({"task_id": "t", "session_id": "5", "user_id": "usr_123"}))
    settings = load_settings({"NEMO_TOKEN": "nmv_usr_registered"}, api_url="http://backend.test")
    async with make_client(fake, settings) as client:
        await client.create_session()
        with pytest.raises(InsufficientCreditsError, match="Top up") as caught:
            await client.credits()
    assert caught.value.register_url is None


async def test_gets_are_retried_through_transient_failures_with_backoff() -> None:
    fake = FakeBackend()
    sleeps = Sleeps()
    fake.queue("GET", "/api/credits", httpx.Response(502), httpx.Response(503))
    async with make_client(fake, sleeps=sleeps) as client:
        assert (await client.credits()).available == 90
    assert sleeps.calls == [0.5, 1.0]


async def test_posts_are_not_retried_after_a_server_error() -> None:
    fake = FakeBackend()
    fake.queue("POST", "/api/tasks", httpx.Response(500, text="boom"))
    async with make_client(fake) as client:
        with pytest.raises(ServerError):
            await client.create_session()
    assert sum("with-session" in p for p in fake.paths()) == 1


async def test_an_unreachable_backend_is_reported_without_secrets() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    settings = load_settings({"NEMO_TOKEN": "nmv_usr_secretvalue"}, api_url="http://backend.test")
    sleeps = Sleeps()
    client = BackendClient(settings, IDENTITY, transport=httpx.MockTransport(refuse), sleep=sleeps)
    async with client:
        with pytest.raises(BackendUnavailableError, match="Cannot reach") as caught:
            await client.credits()
    assert "secretvalue" not in str(caught.value)
    assert len(sleeps.calls) == 2


async def test_render_status_reads_both_documented_shapes() -> None:
    fake = FakeBackend()
    fake.queue(
        "GET",
        "/api/render/proxy/lambda/render_1",
        httpx.Response(
            200,
            json={
                "success": True,
                "data": {
                    "id": "render_1",
                    "status": "completed",
                    "progress": 100,
                    "outputUrl": "http://cdn.test/a.mp4",
                },
            },
        ),
        httpx.Response(
            200, json={"taskId": "render_1", "status": "completed", "output": {"url": "http://cdn.test/b.mp4"}}
        ),
        httpx.Response(200, json={"success": True, "data": {"id": "render_1", "status": "completed"}}),
    )
    async with make_client(fake) as client:
        a = await client.render_status("render_1")
        b = await client.render_status("render_1")
        c = await client.render_status("render_1")
    assert (a.output_url, a.finished) == ("http://cdn.test/a.mp4", True)
    assert (b.output_url, b.finished) == ("http://cdn.test/b.mp4", True)
    assert c.finished is False  # completed without a URL: keep polling


async def test_render_submit_uses_a_client_id_and_camel_case_session_id() -> None:
    fake = FakeBackend()
    fake.queue(
        "POST",
        "/api/render/proxy/lambda",
        lambda r: httpx.Response(200, json={"success": True, "data": {"id": "x", "status": "pending"}}),
    )
    async with make_client(fake) as client:
        session = Session(session_id="77")
        status = await client.submit_render(session, {"t": [1]})
    body = fake.requests[-1].content.decode()
    assert '"sessionId":"77"' in body and '"id":"render_' in body and '"quality":"high"' in body
    assert status.status == "pending"


MP4_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000


async def test_downloads_from_a_cdn_never_carry_the_token(tmp_path: Path) -> None:
    fake = FakeBackend()
    fake.queue("GET", "/render-result/", httpx.Response(200, content=MP4_BYTES))
    async with make_client(fake) as client:
        await client.credits()
        path = await client.download("http://cdn.other.test/render-result/r1.mp4", tmp_path, "r1")
    cdn_request = fake.requests[-1]
    assert cdn_request.url.host == "cdn.other.test"
    assert "authorization" not in cdn_request.headers
    assert path == tmp_path / "r1.mp4" and path.read_bytes() == MP4_BYTES


async def test_a_download_that_is_not_an_mp4_leaves_nothing_behind(tmp_path: Path) -> None:
    fake = FakeBackend()
    fake.queue("GET", "/x", httpx.Response(200, content=b"<html>error page</html>"))
    async with make_client(fake) as client:
        with pytest.raises(Exception, match="not an MP4"):
            await client.download("http://cdn.test/x.mp4", tmp_path, "x")
    assert list(tmp_path.iterdir()) == []


async def test_a_download_never_overwrites_and_names_cannot_escape(tmp_path: Path) -> None:
    fake = FakeBackend()
    fake.queue("GET", "/v", httpx.Response(200, content=MP4_BYTES), httpx.Response(200, content=MP4_BYTES))
    (tmp_path / "clip.mp4").write_bytes(b"keep me")
    async with make_client(fake) as client:
        first = await client.download("http://cdn.test/v.mp4", tmp_path, "../../etc/clip")
        second = await client.download("http://cdn.test/v.mp4", tmp_path, "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == b"keep me"
    assert first == tmp_path / "clip (2).mp4"
    assert second == tmp_path / "clip (3).mp4"


@pytest.mark.parametrize(
    "dest",
    [
        pytest.param(lambda blocker: blocker / "videos", id="folder-under-a-file"),
        pytest.param(lambda blocker: blocker, id="folder-is-a-file"),
    ],
)
async def test_a_download_into_a_folder_that_cannot_hold_it_names_the_folder_and_leaves_nothing(
    tmp_path: Path, dest: Callable[[Path], Path]
) -> None:
    fake = FakeBackend()
    fake.queue("GET", "/v", httpx.Response(200, content=MP4_BYTES))
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"keep me")
    async with make_client(fake) as client:
        with pytest.raises(OutputFolderError) as caught:
            await client.download("http://cdn.test/v.mp4", dest(blocker), "clip")
    assert isinstance(caught.value, InputError)  # the caller's choice of folder, not a backend failure
    assert str(caught.value).startswith(f"Cannot write the video into {dest(blocker)} (")
    assert str(caught.value).endswith("choose another output folder.")
    assert list(tmp_path.iterdir()) == [blocker] and blocker.read_bytes() == b"keep me"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(400), id="bare-400"),
        pytest.param(httpx.Response(400, json={"detail": "Invalid request"}), id="400-with-a-message"),
        pytest.param(fail(400, "field 'client' is invalid", status=400), id="400-naming-another-client-field"),
    ],
)
async def test_a_400_elsewhere_is_a_plain_refusal_and_never_blamed_on_the_client_id(answer: httpx.Response) -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", answer)
    async with make_client(fake) as client:
        with pytest.raises(APIError) as caught:
            await client.credits()
    assert type(caught.value) is APIError and caught.value.status_code == 400
    assert "client id" not in str(caught.value).lower()
    assert fake.tokens_issued == 1  # no new client id, no new token


async def test_a_bare_400_on_the_token_call_still_gets_a_fresh_client_id_once(private_home: Path) -> None:
    fake = FakeBackend()
    fake.queue("POST", TOKEN_PATH, httpx.Response(400))
    async with make_client(fake) as client:
        await client.credits()
    first, second = (r for r in fake.requests if r.url.path == TOKEN_PATH)
    assert first.headers["x-client-id"] != second.headers["x-client-id"]


def _lost_on_the_way_back(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(httpx.Response(503), ServerError, id="503"),
        pytest.param(httpx.Response(504), ServerError, id="504"),
        pytest.param(_lost_on_the_way_back, BackendUnavailableError, id="read-timeout"),
    ],
)
async def test_a_token_call_that_may_have_issued_the_weekly_token_is_never_repeated(
    answer: httpx.Response | Callable[[httpx.Request], httpx.Response], error: type[Exception]
) -> None:
    fake = FakeBackend()
    sleeps = Sleeps()
    fake.queue("POST", TOKEN_PATH, answer)
    async with make_client(fake, sleeps=sleeps) as client:
        with pytest.raises(error):
            await client.credits()
    assert fake.paths().count(TOKEN_PATH) == 1 and sleeps.calls == []


async def test_a_token_call_that_could_not_connect_is_retried_with_backoff() -> None:
    fake = FakeBackend()
    sleeps = Sleeps()
    fake.queue("POST", TOKEN_PATH, _refused, _refused)
    async with make_client(fake, sleeps=sleeps) as client:
        assert (await client.credits()).available == 90
    assert fake.paths().count(TOKEN_PATH) == 3 and sleeps.calls == [0.5, 1.0]


# --- one recovery path for every kind of request --------------------------------------------

SSE_OK = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b'data: {"content": {}}\n\n')


async def _rest(client: BackendClient, tmp_path: Path) -> object:
    return await client.credits()


async def _stream(client: BackendClient, tmp_path: Path) -> object:
    async with client.chat_stream(Session(session_id="77"), "hi") as chunks:
        return b"".join([chunk async for chunk in chunks])


async def _backend_download(client: BackendClient, tmp_path: Path) -> object:
    return await client.download_render_fallback("render_1", tmp_path, "clip")


PATHS_TAKEN = [
    pytest.param(_rest, ("GET", "/api/credits/balance/simple"), ok({"available": 1}), id="rest-call"),
    pytest.param(_stream, ("POST", "/run_sse"), SSE_OK, id="chat-stream"),
    pytest.param(
        _backend_download,
        ("GET", "/api/render/proxy/render_1/download"),
        httpx.Response(200, content=MP4_BYTES),
        id="backend-download",
    ),
]


@pytest.mark.parametrize(("request_of", "route", "success"), PATHS_TAKEN)
async def test_every_kind_of_request_renews_a_rejected_token_once_and_goes_through(
    tmp_path: Path, request_of: Callable[..., Any], route: tuple[str, str], success: httpx.Response
) -> None:
    fake = FakeBackend()
    fake.queue(*route, fail(1001, status=401), success)
    async with make_client(fake) as client:
        await request_of(client, tmp_path)
    assert fake.tokens_issued == 2 and fake.paths().count(route[1]) == 2
    assert fake.requests[-1].headers["authorization"] == "Bearer nmv_usr_fake0002"


@pytest.mark.parametrize(("request_of", "route", "success"), PATHS_TAKEN)
async def test_every_kind_of_request_raises_a_token_rejected_again_after_its_one_renewal(
    tmp_path: Path, request_of: Callable[..., Any], route: tuple[str, str], success: httpx.Response
) -> None:
    fake = FakeBackend()
    fake.queue(*route, fail(1001, status=401), fail(1001, status=401), success)
    async with make_client(fake) as client:
        with pytest.raises(TokenExpiredError):
            await request_of(client, tmp_path)
    assert fake.tokens_issued == 2 and fake.paths().count(route[1]) == 2


@pytest.mark.parametrize(("request_of", "route", "success"), PATHS_TAKEN)
async def test_no_request_swaps_a_rejected_user_token_for_an_anonymous_one(
    tmp_path: Path, request_of: Callable[..., Any], route: tuple[str, str], success: httpx.Response
) -> None:
    fake = FakeBackend()
    fake.queue(*route, fail(1001, status=401), success)
    settings = load_settings({"NEMO_TOKEN": "nmv_usr_mine"}, api_url="http://backend.test")
    async with make_client(fake, settings) as client:
        with pytest.raises(TokenExpiredError, match="NEMO_TOKEN"):
            await request_of(client, tmp_path)
    assert fake.tokens_issued == 0 and fake.paths().count(route[1]) == 1


async def test_a_stream_to_a_lost_session_is_opened_once_more_in_its_replacement() -> None:
    fake = FakeBackend()
    fake.queue("POST", "/run_sse", fail(1002, status=404), SSE_OK, fail(1002, status=404), fail(1002, status=404))
    session = Session(session_id="77")
    async with make_client(fake) as client:
        async with client.chat_stream(session, "hi") as chunks:
            assert b"".join([chunk async for chunk in chunks])
        with pytest.raises(SessionNotFoundError):  # a second loss in one request is not recovered again
            async with client.chat_stream(session, "again"):
                pass
    sent_to = [json.loads(r.content)["session_id"] for r in fake.requests if r.url.path == "/run_sse"]
    assert sent_to == ["77", "1001", "1001", "1002"] and session.replacements == 2
