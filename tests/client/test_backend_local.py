"""The backend client against the local backend over real loopback HTTP.

`test_recovery.py` pins the client's logic with scripted answers; here the answers come from
the local backend, which keeps its own books (tokens, sessions, credits, renders, a log of every
request), so each test checks both sides of the wire: what the client returned and what the
server saw.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import httpx
import pytest

from kling_ai_30.client.backend import BackendClient, SessionListener
from kling_ai_30.client.models import RenderStatus
from kling_ai_30.client.session import Session
from kling_ai_30.config import Settings, load_settings
from kling_ai_30.errors import (
    APIError,
    ExportBlockedError,
    FileTooLargeError,
    InputError,
    InsufficientCreditsError,
    ServerError,
    UnsupportedFileError,
)
from kling_ai_30.local import LocalBackend
from kling_ai_30.local.state.records import RecordedRequest
from kling_ai_30.skill import SkillIdentity, load_identity
from tests.client.fake_backend import FakeBackend, ok
from tests.local.conftest import mp4_bytes, png_bytes, wav_bytes
from tests.media import make_image, probe

pytestmark = pytest.mark.anyio

TOKEN_PATH = "/api/auth/anonymous-token"
RENDER_PATH = "/api/render/proxy/lambda"
GENERATE = "generate a 2-second video of a mountain lake"
HTTP_200 = pytest.mark.parametrize("http_200", [False, True], ids=["http-status", "http-200"])


class Sleeps:
    """The client's injected sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Wire(httpx.AsyncBaseTransport):
    """A real loopback transport that keeps the JSON bodies the client sent (the server logs only headers)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.json_bodies: list[tuple[str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type") == "application/json":
            self.json_bodies.append((request.url.path, json.loads(request.content)))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


MakeClient = Callable[..., BackendClient]


@pytest.fixture
def identity() -> SkillIdentity:
    return load_identity()


@pytest.fixture
def settings(base_url: str) -> Settings:
    return load_settings({}, api_url=base_url, web_url=base_url)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_client(settings: Settings, identity: SkillIdentity, sleeps: Sleeps) -> AsyncIterator[MakeClient]:
    """Clients of the local backend, closed after the test."""
    made: list[BackendClient] = []

    def make(
        *,
        settings: Settings = settings,
        transport: httpx.AsyncBaseTransport | None = None,
        on_session_replaced: SessionListener | None = None,
    ) -> BackendClient:
        client = BackendClient(
            settings, identity, transport=transport, sleep=sleeps, on_session_replaced=on_session_replaced
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def client(make_client: MakeClient) -> BackendClient:
    return make_client()


def calls(backend: LocalBackend, path_prefix: str) -> list[RecordedRequest]:
    return [r for r in backend.store.requests() if r.path.startswith(path_prefix)]


async def say(client: BackendClient, session: Session, text: str) -> bytes:
    """Send one message and read the whole raw stream."""
    async with client.chat_stream(session, text) as chunks:
        return b"".join([chunk async for chunk in chunks])


async def finished_render(client: BackendClient, render_id: str) -> RenderStatus:
    with anyio.fail_after(30):
        while not (status := await client.render_status(render_id)).finished:
            await anyio.sleep(0.05)
    return status


async def rendered(client: BackendClient) -> RenderStatus:
    """A completed render of a freshly generated clip in a new session."""
    session = await client.create_session()
    submitted = await client.submit_render(session, await generated(client, session))
    return await finished_render(client, submitted.id)


async def generated(client: BackendClient, session: Session) -> object:
    """The draft of a freshly generated clip."""
    await say(client, session, GENERATE)
    draft = (await client.state(session)).state.draft
    assert draft, "the generation left no draft"
    return draft


# --- auth, sessions, links -------------------------------------------------------------------


async def test_the_anonymous_token_is_cached_privately_and_reused_by_the_next_client(
    backend: LocalBackend, make_client: MakeClient, settings: Settings
) -> None:
    first = await make_client().credits()
    second = await make_client().credits()

    assert first.available == second.available == 100
    (token_call,) = calls(backend, TOKEN_PATH)
    assert token_call.status == 200
    assert len(backend.store.tokens()) == 1
    for path in (settings.token_cache_path, settings.client_id_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    client_id = settings.client_id_path.read_text(encoding="utf-8").strip()
    assert token_call.headers["x-client-id"] == client_id == backend.store.tokens()[0].client_id


async def test_a_restarted_client_renews_an_expired_token_with_the_persisted_client_id(
    backend: LocalBackend, make_client: MakeClient
) -> None:
    await make_client().credits()
    backend.faults.expire_tokens()

    credits = await make_client().credits()

    assert credits.available == 100  # the same anonymous user, not a new one
    tokens = backend.store.tokens()
    assert len(tokens) == 2 and tokens[0].client_id == tokens[1].client_id
    assert tokens[0].user_id == tokens[1].user_id
    assert [r.status for r in calls(backend, "/api/credits")] == [200, 401, 200]


async def test_a_session_is_created_in_the_users_language_and_linked_without_the_api_token(
    backend: LocalBackend, client: BackendClient, base_url: str
) -> None:
    session = await client.create_session(language="zh-CN")
    link = await client.task_link(session)

    assert session.user_id is not None and session.user_id.startswith("anon_")
    assert backend.store.session_for(session.user_id, session.session_id).language == "zh-CN"
    assert link.startswith(f"{base_url}/workspace/claim?ct=clm_")
    assert all(t.token not in link for t in backend.store.tokens())


async def test_a_sessions_task_link_reuses_its_claim_token_while_a_link_stays_valid_a_day(
    backend: LocalBackend, settings: Settings, identity: SkillIdentity
) -> None:
    now = [time.time()]
    async with BackendClient(settings, identity, clock=lambda: now[0]) as client:
        session = await client.create_session()
        first = await client.task_link(session)
        assert await client.task_link(session) == first
        now[0] += 6 * 24 * 3600 - 60  # the 7-day claim token has a day and a minute left
        assert await client.task_link(session) == first
        assert len(calls(backend, "/api/auth/claim-token")) == 1
        now[0] += 120  # a link made now could expire within a day: a new claim
        await client.task_link(session)
        assert len(calls(backend, "/api/auth/claim-token")) == 2
        other = await client.create_session()
        await client.task_link(other)  # each session has its own
        assert len(calls(backend, "/api/auth/claim-token")) == 3


async def test_a_claim_token_without_a_stated_lifetime_is_asked_for_every_link(make_client: MakeClient) -> None:
    fake = FakeBackend()
    fake.queue("POST", "/api/auth/claim-token", ok({"claim_token": "clm_first"}), ok({"claim_token": "clm_second"}))
    client = make_client(transport=fake.transport())
    session = await client.create_session()
    links = [await client.task_link(session), await client.task_link(session)]
    assert [link.rsplit("=", 1)[-1] for link in links] == ["clm_first", "clm_second"]


async def test_credits_and_state_of_a_new_session_read_from_the_backend(client: BackendClient) -> None:
    session = await client.create_session()

    credits = await client.credits()
    state = await client.state(session)

    assert (credits.available, credits.frozen, credits.total) == (100, 0, 100)
    assert state.session_id == session.session_id and state.task_id == session.task_id
    assert state.state.video_infos == [] and not state.state.draft


# --- uploads ---------------------------------------------------------------------------------


async def test_real_image_video_and_audio_files_upload_as_files_parts_with_progress(
    backend: LocalBackend, client: BackendClient, tmp_path: Path
) -> None:
    image = make_image(tmp_path / "mountain.jpg")
    video = tmp_path / "clip.mp4"
    video.write_bytes(mp4_bytes())
    audio = tmp_path / "tune.wav"
    audio.write_bytes(wav_bytes())
    session = await client.create_session()
    progress: list[tuple[int, int | None]] = []

    result = await client.upload_files(session, [image, video, audio], on_progress=lambda d, t: progress.append((d, t)))

    total = sum(p.stat().st_size for p in (image, video, audio))
    assert [(f.filename, f.file_type) for f in result.files] == [
        ("mountain.jpg", "image"),
        ("clip.mp4", "video"),
        ("tune.wav", "audio"),
    ]
    assert (result.files[0].width, result.files[0].height) == (320, 180)
    assert (result.files[1].width, result.files[1].height) == (64, 48)
    assert result.files[2].duration == pytest.approx(0.5, abs=0.05)
    assert progress[-1] == (total, total)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    (upload,) = calls(backend, "/api/upload-video/")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    infos = (await client.state(session)).state.video_infos
    assert [info["filename"] for info in infos] == ["mountain.jpg", "clip.mp4", "tune.wav"]


async def test_a_url_upload_is_described_like_a_file_upload(client: BackendClient, tmp_path: Path) -> None:
    session = await client.create_session()
    (local,) = (await client.upload_files(session, [make_image(tmp_path / "lake.png")])).files
    assert local.cdn_url is not None

    own = await client.upload_urls(session, [local.cdn_url])
    remote = await client.upload_urls(session, ["https://media.example.com/photos/sunset-beach.jpg"])

    assert (own.files[0].file_type, own.files[0].hash) == ("image", local.hash)
    assert (remote.files[0].filename, remote.files[0].file_type) == ("sunset-beach.jpg", "image")
    assert len((await client.state(session)).state.video_infos) == 3


async def test_files_and_ids_the_client_refuses_never_reach_the_backend(
    backend: LocalBackend, client: BackendClient, tmp_path: Path
) -> None:
    session = await client.create_session()
    notes = tmp_path / "notes.txt"
    notes.write_text("not media")

    with pytest.raises(UnsupportedFileError):
        await client.upload_files(session, [notes])
    with pytest.raises(UnsupportedFileError):
        await client.upload_urls(session, ["https://example.com/notes.txt"])
    with pytest.raises(InputError):
        await client.render_status("../../api/credits/balance/simple")

    assert calls(backend, "/api/upload-video/") == [] and calls(backend, RENDER_PATH) == []


# --- chat ------------------------------------------------------------------------------------


async def test_the_chat_stream_yields_the_raw_adk_stream_which_ends_without_a_sentinel(
    backend: LocalBackend, client: BackendClient
) -> None:
    session = await client.create_session()

    raw = await say(client, session, "hi, what can you do?")

    frames = [f for f in raw.split(b"\n\n") if f]
    events = [json.loads(f[len(b"data: ") :]) for f in frames if f.startswith(b"data: {")]
    assert events and b"[DONE]" not in raw
    assert frames[-1].startswith(b"data: {")  # the last frame is an ordinary event
    assert "I can turn a photo" in json.dumps(events, ensure_ascii=False)
    (run,) = calls(backend, "/run_sse")
    assert run.headers["accept"] == "text/event-stream" and run.authorization_present


# --- renders and downloads -------------------------------------------------------------------


async def test_a_render_is_submitted_with_camel_case_session_id_polled_and_downloaded(
    backend: LocalBackend, make_client: MakeClient, tmp_path: Path
) -> None:
    wire = Wire()
    client = make_client(transport=wire)
    session = await client.create_session()
    draft = await generated(client, session)

    submitted = await client.submit_render(session, draft)
    done = await finished_render(client, submitted.id)
    progress: list[tuple[int, int | None]] = []
    first = await client.download(
        done.output_url or "", tmp_path, "lake", on_progress=lambda d, t: progress.append((d, t))
    )
    second = await client.download(done.output_url or "", tmp_path, "lake")

    (body,) = [b for path, b in wire.json_bodies if path == RENDER_PATH]
    assert isinstance(body, dict) and body["sessionId"] == session.session_id and "session_id" not in body
    assert body["id"] == submitted.id and submitted.id.startswith("render_") and submitted.status == "pending"
    job = backend.store.render_job(submitted.id)
    assert job is not None and job.session_id == session.session_id
    assert done.status == "completed" and done.progress == 100
    assert (first.name, second.name) == ("lake.mp4", "lake (2).mp4")
    assert first.read_bytes() == second.read_bytes() and progress[-1] == (job.size, job.size)
    assert probe(first).video_codec == "h264" and probe(first).audio_codec == "aac"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


async def test_the_older_top_level_poll_shape_reads_the_same(backend: LocalBackend, client: BackendClient) -> None:
    session = await client.create_session()
    submitted = await client.submit_render(session, await generated(client, session))
    backend.configure(render_poll_shape="B")

    done = await finished_render(client, submitted.id)

    assert done.id == submitted.id and done.status == "completed"
    assert done.output_url is not None and done.output_url.endswith(f"/cdn/render-result/{submitted.id}.mp4")


async def test_the_fallback_download_route_delivers_the_render_with_auth(
    backend: LocalBackend, client: BackendClient, tmp_path: Path
) -> None:
    render = await rendered(client)

    path = await client.download_render_fallback(render.id, tmp_path, "fallback")

    assert path == tmp_path / "fallback.mp4" and probe(path).video_codec == "h264"
    (fetch,) = calls(backend, f"/api/render/proxy/{render.id}/download")
    assert fetch.status == 200 and fetch.authorization_present


async def test_a_download_of_something_that_is_not_an_mp4_is_refused_and_leaves_nothing(
    client: BackendClient, tmp_path: Path
) -> None:
    session = await client.create_session()
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    (uploaded,) = (await client.upload_files(session, [image])).files
    out = tmp_path / "out"

    with pytest.raises(APIError, match="not an MP4"):
        await client.download(uploaded.cdn_url or "", out, "still")

    assert list(out.iterdir()) == []


async def test_a_pending_render_can_be_cancelled(backend: LocalBackend, client: BackendClient) -> None:
    session = await client.create_session()
    draft = await generated(client, session)
    backend.faults.stall_renders(1)
    submitted = await client.submit_render(session, draft)

    await client.cancel_render(submitted.id)

    status = await client.render_status(submitted.id)
    assert status.finished and status.status == "failed" and status.error == "cancelled"
    (cancel,) = calls(backend, f"{RENDER_PATH}/{submitted.id}/cancel")
    assert cancel.method == "POST" and cancel.status == 200


# --- headers ---------------------------------------------------------------------------------


async def test_every_request_carries_attribution_and_only_the_token_call_carries_the_client_id(
    backend: LocalBackend, client: BackendClient, identity: SkillIdentity, tmp_path: Path
) -> None:
    session = await client.create_session()
    await client.task_link(session)
    await client.credits()
    await client.upload_files(session, [make_image(tmp_path / "a.jpg")])
    await client.upload_urls(session, ["https://media.example.com/b.jpg"])
    render = await rendered(client)
    await client.download(render.output_url or "", tmp_path, "a")
    await client.download_render_fallback(render.id, tmp_path, "b")

    recorded = backend.store.requests()
    paths = {r.path for r in recorded}
    assert {TOKEN_PATH, "/api/auth/claim-token", "/api/credits/balance/simple", "/run_sse", RENDER_PATH} <= paths
    for prefix in (
        "/api/tasks/",
        "/api/upload-video/",
        "/api/state/",
        f"{RENDER_PATH}/",
        "/api/render/proxy/render_",
        "/cdn/",
    ):
        assert any(p.startswith(prefix) for p in paths), prefix
    for request in recorded:
        assert request.headers["x-skill-source"] == identity.name, request.path
        assert request.headers["x-skill-version"] == identity.version, request.path
        assert request.headers["x-skill-platform"] == identity.platform, request.path
        is_token_call = request.path == TOKEN_PATH
        assert request.authorization_present is not is_token_call, request.path
        assert ("x-client-id" in request.headers) is is_token_call, request.path


# --- error codes and recovery ----------------------------------------------------------------


@HTTP_200
async def test_a_rejected_token_is_renewed_once_with_the_same_client_id(
    backend: LocalBackend, client: BackendClient, http_200: bool
) -> None:
    backend.configure(errors_with_http_200=http_200)
    session = await client.create_session()
    backend.faults.expire_tokens()

    state = await client.state(session)
    raw = await say(client, session, "hi")  # the new token works on the stream too

    assert state.session_id == session.session_id and raw
    token_calls = calls(backend, TOKEN_PATH)
    assert len(token_calls) == 2
    assert token_calls[0].headers["x-client-id"] == token_calls[1].headers["x-client-id"]
    assert [r.status for r in calls(backend, "/api/state/")] == [200 if http_200 else 401, 200]


@HTTP_200
async def test_a_lost_session_is_replaced_once_for_rest_calls_and_for_the_stream(
    backend: LocalBackend, make_client: MakeClient, http_200: bool
) -> None:
    backend.configure(errors_with_http_200=http_200)
    replaced: list[str] = []
    client = make_client(on_session_replaced=lambda s: replaced.append(s.session_id))
    session = await client.create_session(language="zh-CN")
    lost = session.session_id

    backend.faults.lose_session(lost)
    await client.state(session)
    backend.faults.lose_session(session.session_id)
    raw = await say(client, session, "hi")

    assert lost not in backend.store.sessions() and session.session_id in backend.store.sessions()
    assert session.replacements == 2 and replaced[-1] == session.session_id and raw
    assert session.language == "zh-CN"
    assert len(calls(backend, "/api/tasks/")) == 3
    assert [r.status for r in calls(backend, "/run_sse")] == [404, 200]


async def test_a_link_asked_for_a_lost_session_is_made_for_its_replacement(
    backend: LocalBackend, client: BackendClient, base_url: str
) -> None:
    session = await client.create_session()
    lost = session.session_id
    backend.faults.lose_session(lost)

    link = await client.task_link(session)

    assert session.session_id != lost and session.replacements == 1
    assert link.startswith(f"{base_url}/workspace/claim?ct=clm_")
    assert [r.status for r in calls(backend, "/api/auth/claim-token")] == [404, 200]


async def test_a_fallback_download_renews_a_rejected_token_once(
    backend: LocalBackend, client: BackendClient, tmp_path: Path
) -> None:
    render = await rendered(client)
    backend.faults.expire_tokens()

    path = await client.download_render_fallback(render.id, tmp_path, "renewed")

    assert probe(path).video_codec == "h264"
    assert [r.status for r in calls(backend, f"/api/render/proxy/{render.id}/download")] == [401, 200]
    assert len(calls(backend, TOKEN_PATH)) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["renewed.mp4"]


@HTTP_200
async def test_an_anonymous_user_out_of_credits_is_sent_to_register_with_their_id(
    backend: LocalBackend, client: BackendClient, base_url: str, http_200: bool
) -> None:
    backend.configure(errors_with_http_200=http_200)
    session = await client.create_session()
    backend.faults.set_credits(None, 0)

    with pytest.raises(InsufficientCreditsError) as caught:
        await say(client, session, GENERATE)

    register = f"{base_url}/register?bind={session.user_id}"
    assert caught.value.register_url == register and register in str(caught.value)
    assert caught.value.code == 2001


@HTTP_200
async def test_a_registered_user_out_of_credits_is_told_to_top_up(
    backend: LocalBackend, make_client: MakeClient, base_url: str, http_200: bool
) -> None:
    backend.configure(errors_with_http_200=http_200)
    user = backend.add_user(credits=0)
    client = make_client(settings=load_settings({"NEMO_TOKEN": user.token}, api_url=base_url, web_url=base_url))
    session = await client.create_session()

    with pytest.raises(InsufficientCreditsError, match="Top up") as caught:
        await say(client, session, GENERATE)

    assert caught.value.register_url is None and "register" not in str(caught.value).lower()
    assert user.token not in str(caught.value)
    assert calls(backend, TOKEN_PATH) == []


@HTTP_200
async def test_the_backends_own_file_checks_raise_the_same_errors_as_the_clients(
    backend: LocalBackend, client: BackendClient, tmp_path: Path, http_200: bool
) -> None:
    backend.configure(errors_with_http_200=http_200, max_upload_bytes=1024)
    session = await client.create_session()
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes(400, 300, (250, 10, 90)) + b"\0" * 2048)

    with pytest.raises(FileTooLargeError):
        await client.upload_files(session, [big])
    with pytest.raises(UnsupportedFileError):  # an extension the client lets through to the backend
        await client.upload_urls(session, ["https://example.com/exports/archive.backup"])

    statuses = [r.status for r in calls(backend, "/api/upload-video/")]
    assert statuses == ([200, 200] if http_200 else [413, 400])


async def test_export_blocked_by_the_plan_is_reported_as_a_plan_problem(
    backend: LocalBackend, client: BackendClient
) -> None:
    session = await client.create_session()
    draft = await generated(client, session)
    backend.faults.block_export(times=1)

    with pytest.raises(ExportBlockedError, match="not credits"):
        await client.submit_render(session, draft)

    assert [r.status for r in calls(backend, RENDER_PATH)] == [402]


async def test_a_rate_limited_token_call_waits_30_seconds_once(
    backend: LocalBackend, client: BackendClient, sleeps: Sleeps
) -> None:
    backend.faults.rate_limit_token_issues(times=1)

    credits = await client.credits()

    assert credits.available == 100
    assert sleeps.calls == [30.0]
    assert [r.status for r in calls(backend, TOKEN_PATH)] == [429, 200]


async def test_a_client_id_the_backend_refuses_is_replaced_by_a_persisted_new_one(
    backend: LocalBackend, make_client: MakeClient, base_url: str
) -> None:
    too_long = "x" * 80  # the backend allows 64 characters
    settings = load_settings({"NEMO_CLIENT_ID": too_long}, api_url=base_url, web_url=base_url)

    credits = await make_client(settings=settings).credits()

    assert credits.available == 100
    refused, issued = calls(backend, TOKEN_PATH)
    assert (refused.status, refused.headers["x-client-id"]) == (400, too_long)
    assert issued.status == 200 and len(issued.headers["x-client-id"]) == 36
    assert settings.client_id_path.read_text(encoding="utf-8").strip() == issued.headers["x-client-id"]


async def test_transient_server_errors_are_retried_for_gets_but_not_for_posts(
    backend: LocalBackend, client: BackendClient, sleeps: Sleeps
) -> None:
    session = await client.create_session()
    backend.faults.http_error("/api/credits", 503, times=2)
    backend.faults.http_error("/api/auth/claim-token", 502, times=1)

    credits = await client.credits()
    with pytest.raises(ServerError, match="HTTP 502"):
        await client.claim_token(session)

    assert credits.available == 100
    assert [r.status for r in calls(backend, "/api/credits")] == [503, 503, 200]
    assert len(sleeps.calls) == 2 and sleeps.calls[0] < sleeps.calls[1]
    assert [r.status for r in calls(backend, "/api/auth/claim-token")] == [502]
