"""The local backend's HTTP app: the mega-api routes the skill uses, plus the `/_sim` admin routes.

Envelopes (api notes §2.3): `{"code":0,"data":…}` on auth, tasks, upload, credits, state and claim;
`{"code":N,"message":…,"data":null}` for their errors; `{"success":…}` on the render proxy; bare
FastAPI bodies (`{"detail":…}`) for `/run_sse` validation and unknown sessions. Body-code errors
use HTTP 401 (1001), 404 (1002), 200 (2001: a 402 would read as "plan blocks export"), 400 (4001)
and 413 (4002), or all HTTP 200 with `SimConfig.errors_with_http_200`.

:class:`LocalBackend` owns the pieces (config, store, faults, runs, render workers, files) and
builds the Starlette app; `local.server` puts it on a socket.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kling_ai_30 import policy
from kling_ai_30.local import agent, media
from kling_ai_30.local.config import SimConfig
from kling_ai_30.local.faults import Faults, FaultSpec
from kling_ai_30.local.store import (
    ApiError,
    Clock,
    MediaRecord,
    RecordedRequest,
    RenderJob,
    Session,
    Store,
    User,
    cdn_root,
    iso_utc,
)
from kling_ai_30.local.stream import AgentRun, Channel, SseResponse, cdn_rel_path, produce_cached

logger = logging.getLogger(__name__)

# Body codes that may travel with HTTP 200 (SimConfig.errors_with_http_200).
BODY_CODES = frozenset({1001, 1002, 2001, 4001, 4002})
ATTRIBUTION_HEADERS = ("x-skill-source", "x-skill-version", "x-skill-platform")
RATE_LIMIT_RETRY_AFTER = str(int(policy.RATE_LIMIT_RETRY_DELAY_S))
RENDER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
URL_PLACEHOLDER_VIDEO_SECONDS = 10.0  # a URL we cannot fetch offline stands for a 10 s clip
URL_PLACEHOLDER_SIZE = (960, 540)
# The agent reads this much of a message; the rule tables are not meant for documents.
MAX_INTERPRETED_CHARS = 8000
EXPORT_BLOCKED = "Free plan export blocked: register or upgrade your plan to unlock export."


@dataclass(frozen=True)
class RegisteredUser:
    """A registered (non-anonymous) account made through the admin API."""

    user_id: str
    token: str
    credits: int


_M = TypeVar("_M", bound=BaseModel)

# ---------------------------------------------------------------------------------------------
# Request bodies
# ---------------------------------------------------------------------------------------------


class _GenaiModel(BaseModel):
    # google.genai models: camelCase aliases, snake_case accepted, unknown keys refused (api notes §3.4).
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class _Part(_GenaiModel):
    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    inline_data: dict[str, Any] | None = None
    file_data: dict[str, Any] | None = None
    function_call: dict[str, Any] | None = None
    function_response: dict[str, Any] | None = None
    video_metadata: dict[str, Any] | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None


class _Content(_GenaiModel):
    parts: list[_Part] | None = None
    role: str | None = None


class RunRequest(BaseModel):
    """ADK `RunAgentRequest`: camel or snake keys; unknown top-level keys ignored as ADK does."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    app_name: str
    user_id: str
    session_id: str
    new_message: _Content
    streaming: bool = False
    state_delta: dict[str, Any] | None = None
    invocation_id: str | None = None

    def text(self) -> str:
        parts = self.new_message.parts or []
        return "\n".join(p.text for p in parts if p.text and not p.thought).strip()


class _CreateSession(BaseModel):
    task_name: str = Field(min_length=1, max_length=200)
    language: str | None = Field(default=None, max_length=35)


class _Claim(BaseModel):
    task_id: str
    session_id: str


class _UrlUpload(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=20)
    source_type: str = "url"


class _NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credits: int = Field(default=1000, ge=0)


class _ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advance_s: float = Field(ge=0)


# ---------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------


def _ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "data": data})


def _validation_failed(exc: ValidationError) -> JSONResponse:
    detail = [
        {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"], "input": e.get("input")}
        for e in exc.errors(include_url=False, include_context=False)
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _json_invalid(message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": message}]},
        status_code=422,
    )


def _render_error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    return json.loads(raw) if raw else {}


async def _parse(request: Request, model: type[_M]) -> _M | JSONResponse:
    """The body as `model`, or the FastAPI-style 422 answer."""
    try:
        body = await _json_body(request)
    except ValueError as exc:
        return _json_invalid(str(exc))
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        return _validation_failed(exc)


# ---------------------------------------------------------------------------------------------
# Renders
# ---------------------------------------------------------------------------------------------


class _RenderCancelled(Exception):
    pass


class RenderQueue:
    """Runs renders on worker threads (CPU-bound) and reports progress into the store."""

    def __init__(self, backend: LocalBackend) -> None:
        self._backend = backend
        self._pool = ThreadPoolExecutor(backend.config.render_workers, thread_name_prefix="sim-render")
        self._futures: set[Future[None]] = set()
        self._stalled: list[str] = []
        self._lock = threading.Lock()

    def submit(self, render_id: str) -> None:
        fault = self._backend.faults.take_render_fault()
        store = self._backend.store
        if fault is not None and fault[0] == "stall":
            store.update_render(render_id, status="processing", progress=37)
            with self._lock:
                self._stalled.append(render_id)
            return
        self._start(render_id, fault[1] if fault is not None else None)

    def release_stalled(self) -> int:
        """Let every stalled render run to completion (a render slower than whoever waited for it)."""
        with self._lock:
            stalled, self._stalled = self._stalled, []
        for render_id in stalled:
            self._start(render_id, None)
        return len(stalled)

    def _start(self, render_id: str, injected_error: str | None) -> None:
        future = self._pool.submit(self._run, render_id, injected_error)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def busy(self) -> bool:
        with self._lock:
            return any(not f.done() for f in self._futures)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, render_id: str, injected_error: str | None) -> None:
        backend = self._backend
        store = backend.store
        job = store.update_render(render_id, status="processing", progress=10)
        if job is None:  # cancelled before it started
            return
        if injected_error is not None:
            store.update_render(render_id, status="failed", error=injected_error, completed_at_ms=backend.now_ms())
            return
        out_dir = backend.cdn_root / "render-result"
        out_dir.mkdir(parents=True, exist_ok=True)
        final = out_dir / f"{render_id}.mp4"  # render_draft writes it atomically
        config = backend.config

        def progress(fraction: float) -> None:
            current = store.render_job(render_id)
            if backend.stopping or current is None or current.cancelled:
                raise _RenderCancelled
            store.update_render(render_id, progress=max(10, min(99, 10 + int(fraction * 89))))

        try:
            from kling_ai_30.local.render import RenderError, render_draft

            try:
                result = render_draft(
                    job.draft,
                    final,
                    resolve_media=backend.resolve_media,
                    max_height=config.render_max_height,
                    fps=config.render_fps,
                    on_progress=progress,
                )
            except RenderError as exc:
                current = store.render_job(render_id)
                if current is not None and current.cancelled:
                    return
                store.update_render(render_id, status="failed", error=str(exc), completed_at_ms=backend.now_ms())
                return
            store.update_render(
                render_id,
                status="completed",
                progress=100,
                output_rel=f"render-result/{quote(render_id)}.mp4",
                size=final.stat().st_size,
                duration_s=result.duration_s,
                completed_at_ms=backend.now_ms(),
            )
        except _RenderCancelled:
            pass
        except Exception:
            logger.exception("render %s crashed", render_id)
            store.update_render(
                render_id, status="failed", error="Internal render error.", completed_at_ms=backend.now_ms()
            )


# ---------------------------------------------------------------------------------------------
# The backend
# ---------------------------------------------------------------------------------------------


class LocalBackend:
    """The local NemoVideo-compatible backend: state, faults, workers and the ASGI app.

    Use as a context manager (or call :meth:`close`) so worker threads stop and the temporary
    data directory is removed.
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        self._initial_config = config or SimConfig()
        self._config = self._initial_config
        self._owned_dir: Path | None = None
        if self._config.data_dir is None:
            self._owned_dir = Path(tempfile.mkdtemp(prefix="kling-sim-"))
            self.data_dir = self._owned_dir
        else:
            self.data_dir = self._config.data_dir
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cdn_root = cdn_root(self.data_dir)
        self.cdn_root.mkdir(parents=True, exist_ok=True)
        self.clock = Clock()
        self.store = Store(lambda: self._config, self.clock)
        self.faults = Faults(self.store)
        self._stop = threading.Event()
        self._runs: set[threading.Thread] = set()
        self._runs_lock = threading.Lock()
        self.renders = RenderQueue(self)
        self.app: ASGIApp = build_app(self)
        self._closed = False

    # --- configuration ---

    @property
    def config(self) -> SimConfig:
        return self._config

    def configure(self, **changes: Any) -> SimConfig:
        """Change settings at run time (timings, vocabulary, poll shape, ...); data_dir is fixed."""
        if "data_dir" in changes:
            raise ValueError("data_dir cannot change while the backend runs")
        self._config = SimConfig.model_validate({**self._config.model_dump(), **changes})
        return self._config

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # --- admin ---

    def add_user(self, credits: int = 1000) -> RegisteredUser:
        """Create a registered (non-anonymous) user; returns its id and bearer token."""
        record, user = self.store.create_registered_user(credits)
        return RegisteredUser(user.user_id, record.token, user.available)

    def reset(self) -> None:
        """Back to a fresh start: no users, sessions, renders, faults or recorded requests."""
        self.faults.clear()
        self.store.reset()
        self.clock.reset()
        self._config = self._initial_config

    # --- media ---

    def resolve_media(self, url: str) -> Path | None:
        """The local file behind one of this backend's `/cdn/...` URLs (any host), or None."""
        rel = cdn_rel_path(url)
        if rel is None:
            return None
        path = (self.cdn_root / rel).resolve()
        root = self.cdn_root.resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    # --- runs ---

    def start_run(
        self, session: Session, user_id: str, intent: agent.Intent, frozen: int, channel: Channel, base_url: str
    ) -> None:
        """Run the agent for one /run_sse message in a worker thread that outlives the response."""
        run = AgentRun(
            store=self.store,
            faults=self.faults,
            config=lambda: self._config,
            clock=self.clock,
            cdn_root=self.cdn_root,
            session=session,
            user_id=user_id,
            intent=intent,
            frozen=frozen,
            channel=channel,
            base_url=base_url,
            stop=self._stop,
        )
        with self._runs_lock:
            self._runs = {t for t in self._runs if t.is_alive()}
            self._runs.add(run.thread)
        run.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every agent run and render has finished (stalled renders excepted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._runs_lock:
                alive = [t for t in self._runs if t.is_alive()]
            if not alive and not self.renders.busy():
                return True
            if alive:
                alive[0].join(min(0.05, max(0.0, deadline - time.monotonic())))
            else:
                time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop runs and renders and remove the temporary data directory (if this backend made it)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with self._runs_lock:
            threads = list(self._runs)
        for thread in threads:
            thread.join(timeout=5)
        self.renders.shutdown()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Middleware: request log and path faults
# ---------------------------------------------------------------------------------------------


class SimMiddleware:
    """Records every request (bearer value redacted) and applies HTTP error / delay faults."""

    def __init__(self, app: ASGIApp, backend: LocalBackend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers: dict[str, str] = {}
        authorization = False
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name == "authorization":
                authorization = True
                headers[name] = "Bearer <redacted>"
            else:
                headers[name] = raw_value.decode("latin-1")
        status: list[int] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            delay = self.backend.faults.take_delay(path)
            if delay:
                await anyio.sleep(delay)
            injected = self.backend.faults.take_http_error(path)
            if injected is not None:
                response = JSONResponse(
                    {"code": injected, "message": "Service temporarily unavailable (injected fault).", "data": None},
                    status_code=injected,
                )
                await response(scope, receive, recording_send)
                return
            await self.app(scope, receive, recording_send)
        finally:
            self.backend.store.record_request(
                RecordedRequest(
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    headers=headers,
                    authorization_present=authorization,
                    at=self.backend.clock.now(),
                    status=status[0] if status else None,
                )
            )


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


def build_app(backend: LocalBackend) -> Starlette:
    """The Starlette app serving `backend`."""
    store, faults = backend.store, backend.faults

    def fail(code: int, message: str, status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
        if backend.config.errors_with_http_200 and code in BODY_CODES:
            status = 200
        return JSONResponse({"code": code, "message": message, "data": None}, status_code=status, headers=headers)

    def fail_with(exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": RATE_LIMIT_RETRY_AFTER} if exc.status == 429 else None
        return fail(exc.code, exc.message, exc.status, headers)

    def authed(handler: Callable[[Request, User], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                user = store.authenticate(request.headers.get("authorization"))
                return await handler(request, user)
            except ApiError as exc:
                return fail_with(exc)

        return endpoint

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def owned_session(request: Request, user: User) -> Session:
        """The session named in the path, checking the app name and the `me`/user segment."""
        params = request.path_params
        sid = str(params["sid"])
        wrong_app = params.get("app", policy.APP_NAME) != policy.APP_NAME
        if wrong_app or params.get("user", "me") not in ("me", user.user_id):
            raise ApiError(1002, f"Session not found: {sid}", 404)
        return store.session_for(user.user_id, sid)

    # --- auth and sessions ---

    async def anonymous_token(request: Request) -> Response:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id:
            return fail(400, "Missing X-Client-Id header", 400)
        if len(client_id) > policy.CLIENT_ID_MAX_LEN:
            return fail(400, f"X-Client-Id must be at most {policy.CLIENT_ID_MAX_LEN} characters", 400)
        if faults.take_rate_limit():
            return fail(429, "Rate limited: too many token requests; retry in 30 seconds.", 429)
        try:
            record, user = store.issue_anonymous_token(client_id, request.client.host if request.client else None)
        except ApiError as exc:
            return fail_with(exc)
        return _ok(
            {
                "token": record.token,
                "user_id": user.user_id,
                "expires_at": iso_utc(record.expires_at or 0),
                "credits": user.available,
            }
        )

    async def create_session(request: Request, user: User) -> Response:
        if request.path_params["user"] not in ("me", user.user_id):
            return fail(1001, "The user in the path does not match the token.", 401)
        if request.path_params["app"] != policy.APP_NAME:
            return fail(404, f"Unknown app: {request.path_params['app']}", 404)
        body = await _parse(request, _CreateSession)
        if isinstance(body, JSONResponse):
            return body
        session = store.create_session(user.user_id, body.task_name, body.language)
        return _ok({"task_id": session.task_id, "session_id": session.session_id, "user_id": user.user_id})

    async def claim_token(request: Request, user: User) -> Response:
        body = await _parse(request, _Claim)
        if isinstance(body, JSONResponse):
            return body
        session = store.session_for(user.user_id, body.session_id)
        if session.task_id != body.task_id:
            raise ApiError(1002, f"Session not found: {body.session_id}", 404)
        return _ok({"claim_token": store.claim_token(session), "expires_in": 7 * 24 * 3600})

    async def credits(request: Request, user: User) -> Response:
        return _ok(store.balance(user.user_id))

    async def state(request: Request, user: User) -> Response:
        session = owned_session(request, user)
        return _ok(
            {
                "session_id": session.session_id,
                "task_id": session.task_id,
                "task_name": session.task_name,
                "user_id": user.user_id,
                "state": store.state_of(session),
            }
        )

    # --- chat ---

    async def run_sse(request: Request) -> Response:
        try:
            user = store.authenticate(request.headers.get("authorization"))
        except ApiError as exc:
            return fail_with(exc)
        run = await _parse(request, RunRequest)
        if isinstance(run, JSONResponse):
            return run
        if run.app_name != policy.APP_NAME:
            return JSONResponse({"detail": f"App not found: {run.app_name}"}, status_code=404)
        not_found = JSONResponse({"detail": f"Session not found: {run.session_id}"}, status_code=404)
        if run.user_id not in ("me", user.user_id):
            return not_found
        try:
            session = store.session_for(user.user_id, run.session_id)
        except ApiError:
            return not_found
        intent = agent.interpret(run.text()[:MAX_INTERPRETED_CHARS], session.language)
        config = backend.config
        price = agent.cost(intent, config.costs, config.max_generation_seconds)
        try:
            store.freeze(user.user_id, price)
        except ApiError as exc:
            return fail_with(exc)
        channel = Channel(asyncio.get_running_loop())
        backend.start_run(session, user.user_id, intent, price, channel, base_url(request))
        return SseResponse(channel)

    # --- uploads ---

    async def upload(request: Request, user: User) -> Response:
        session = owned_session(request, user)
        content_type = request.headers.get("content-type", "")
        try:
            if content_type.lower().startswith("multipart/form-data"):
                entries = await _upload_multipart(request, session, content_type)
            else:
                body = await _parse(request, _UrlUpload)
                if isinstance(body, JSONResponse):
                    return body
                entries = [await _upload_url(request, session, url) for url in body.urls]
        except media.UploadRejected as exc:
            return fail(exc.code, exc.message, 413 if exc.code == 4002 else 400)
        except media.MalformedUpload as exc:
            return JSONResponse(
                {"detail": [{"type": "missing", "loc": ["body", "files"], "msg": str(exc), "input": None}]},
                status_code=422,
            )
        store.add_video_infos(session, entries)
        return _ok({"files": entries, "session_state_applied": True})

    async def _upload_multipart(request: Request, session: Session, content_type: str) -> list[dict[str, Any]]:
        workdir = backend.data_dir / "incoming" / uuid.uuid4().hex
        workdir.mkdir(parents=True)
        try:
            receiver = media.MultipartReceiver(content_type, workdir, backend.config.max_upload_bytes)
            try:
                async for chunk in request.stream():
                    receiver.feed(chunk)
            except BaseException:
                receiver.discard()
                raise
            received = receiver.finish()
            entries = []
            for item in received:
                rel = _upload_rel(session, item.filename)
                media.move_into(item.path, backend.cdn_root / rel)
                entries.append(
                    await _describe(request, rel, item.filename, item.file_type, item.sha256, placeholder=False)
                )
            return entries
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _upload_url(request: Request, session: Session, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise media.UploadRejected(4001, f"Unsupported URL: {url!r} (http or https only).")
        name = media.safe_filename(unquote(PurePosixPath(parts.path).name) or "remote")
        file_type = media.file_type_for(name)
        if file_type is None:
            if PurePosixPath(name).suffix:
                raise media.UploadRejected(4001, media.unsupported_message(name))
            file_type, name = "image", name + ".jpg"
        source = backend.resolve_media(parts.path) if _same_server(parts.netloc, request) else None
        limit = backend.config.max_upload_bytes
        if source is not None:
            rel = _upload_rel(session, name)
            _size, digest = await anyio.to_thread.run_sync(
                media.copy_file, source, backend.cdn_root / rel, limit, abandon_on_cancel=False
            )
            return await _describe(request, rel, name, file_type, digest, placeholder=False)
        # Offline: the remote file cannot be fetched, so a generated stand-in takes its place.
        stem = PurePosixPath(name).stem
        words = " ".join(re.split(r"[_\-.\s]+", stem)) or "remote media"
        suffix = ".wav" if file_type == "audio" else ".jpg"
        rel = _upload_rel(session, stem + suffix)
        target = backend.cdn_root / rel
        item = agent.Produce(
            "music" if file_type == "audio" else "backdrop",
            rel,
            prompt="Lo-fi" if file_type == "audio" else words,
            width=URL_PLACEHOLDER_SIZE[0],
            height=URL_PLACEHOLDER_SIZE[1],
            seconds=URL_PLACEHOLDER_VIDEO_SECONDS,
        )
        await anyio.to_thread.run_sync(
            produce_cached, item, target, backend.data_dir / "cache", abandon_on_cancel=False
        )
        digest = await anyio.to_thread.run_sync(_sha256, target, abandon_on_cancel=False)
        return await _describe(request, rel, name, file_type, digest, placeholder=True)

    async def _describe(
        request: Request, rel: str, filename: str, file_type: str, digest: str, *, placeholder: bool
    ) -> dict[str, Any]:
        path = backend.cdn_root / rel
        probe = await anyio.to_thread.run_sync(media.probe, path, file_type, abandon_on_cancel=False)
        store.add_media(MediaRecord(rel, probe.kind, probe.width, probe.height, probe.duration, probe.readable))
        duration, fps = probe.duration, probe.fps
        if placeholder and file_type == "video":
            duration, fps = URL_PLACEHOLDER_VIDEO_SECONDS, 30.0
        return {
            "filename": filename,
            "file_type": file_type,
            "cdn_url": f"{base_url(request)}/cdn/{quote(rel)}",
            "duration": duration,
            "width": probe.width,
            "height": probe.height,
            "fps": fps,
            "hash": digest,
        }

    def _upload_rel(session: Session, filename: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "file"
        return f"uploads/{session.session_id}/{uuid.uuid4().hex[:8]}-{safe}"

    def _same_server(netloc: str, request: Request) -> bool:
        if netloc == request.headers.get("host", request.url.netloc):
            return True
        loopback = ("127.0.0.1", "localhost", "[::1]")
        host, _, port = netloc.rpartition(":")
        return (
            host in loopback
            and request.url.hostname in ("127.0.0.1", "localhost", "::1")
            and (port == str(request.url.port))
        )

    # --- renders ---

    async def render_submit(request: Request, user: User) -> Response:
        missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
        blocked = faults.take_block_export()
        if blocked or (backend.config.export_requires_attribution and user.anonymous and missing):
            return JSONResponse({"code": 402, "message": EXPORT_BLOCKED, "data": None}, status_code=402)
        try:
            body = await _json_body(request)
        except ValueError:
            return _render_error("invalid JSON body", 400)
        if not isinstance(body, dict):
            return _render_error("invalid body", 400)
        render_id = body.get("id")
        if not isinstance(render_id, str) or not RENDER_ID.match(render_id):
            return _render_error("invalid render id", 400)
        draft = body.get("draft")
        if not isinstance(draft, dict) or not agent.has_segments(draft):
            return _render_error("invalid draft", 400)
        output = body.get("output") or {"format": "mp4", "quality": "high"}
        if not isinstance(output, dict) or output.get("format", "mp4") != "mp4":
            return _render_error("unsupported output format (mp4 only)", 400)
        session_id = body.get("sessionId", body.get("session_id"))
        job = RenderJob(
            render_id=render_id,
            user_id=user.user_id,
            session_id=str(session_id) if session_id is not None else None,
            draft=draft,
            output=output,
            created_at_ms=backend.now_ms(),
        )
        try:
            store.add_render(job)
        except ApiError:
            return _render_error("duplicate render id", 409)
        backend.renders.submit(render_id)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "pending", "progress": 5}})

    async def render_poll(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return _render_error("render not found", 404)
        url = f"{base_url(request)}/cdn/{job.output_rel}" if job.output_rel and job.status == "completed" else None
        if backend.config.render_poll_shape == "B":
            shape_b: dict[str, Any] = {"taskId": job.render_id, "status": job.status, "progress": job.progress}
            if url is not None:
                shape_b["output"] = {"url": url, "duration": round(job.duration_s, 3), "size": job.size}
            if job.error is not None:
                shape_b["error"] = job.error
            return JSONResponse(shape_b)
        data: dict[str, Any] = {
            "id": job.render_id,
            "status": job.status,
            "progress": job.progress,
            "createdAt": job.created_at_ms,
        }
        if url is not None:
            data["outputUrl"] = url
        if job.completed_at_ms is not None:
            data["completedAt"] = job.completed_at_ms
        if job.error is not None:
            data["error"] = job.error
        return JSONResponse({"success": True, "data": data})

    async def render_cancel(request: Request, user: User) -> Response:
        render_id = request.path_params["rid"]
        try:
            job = store.render_for(user.user_id, render_id)
        except ApiError:
            return _render_error("render not found", 404)
        updated = store.update_render(
            render_id, status="failed", error="cancelled", cancelled=True, completed_at_ms=backend.now_ms()
        )
        if updated is None:
            return _render_error(f"render already {job.status}", 409)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "failed", "cancelled": True}})

    async def render_download(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return _render_error("render not found", 404)
        path = backend.resolve_media("/cdn/" + job.output_rel) if job.output_rel else None
        if job.status != "completed" or path is None:
            return _render_error(f"render not completed (status {job.status})", 409)
        return FileResponse(path, media_type="video/mp4", filename=f"{job.render_id}.mp4")

    # --- CDN ---

    async def cdn(request: Request) -> Response:
        path = backend.resolve_media("/cdn/" + request.path_params["path"])
        if path is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media_type)

    # --- /_sim admin ---

    async def sim_health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "users": len(store.users()),
                "sessions": len(store.sessions()),
                "clock": iso_utc(backend.clock.now()),
                "clock_offset_s": backend.clock.offset,
            }
        )

    async def sim_reset(request: Request) -> Response:
        backend.reset()
        return JSONResponse({"status": "ok"})

    async def sim_requests(request: Request) -> Response:
        if request.method == "DELETE":
            store.clear_requests()
            return JSONResponse({"status": "ok"})
        prefix = request.query_params.get("path_prefix", "")
        return JSONResponse({"requests": [r.to_json() for r in store.requests() if r.path.startswith(prefix)]})

    async def sim_users(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(
                {
                    "users": [
                        {
                            "user_id": u.user_id,
                            "anonymous": u.anonymous,
                            "available": u.available,
                            "frozen": u.frozen,
                            "spent": u.spent,
                        }
                        for u in store.users()
                    ]
                }
            )
        body = await _parse(request, _NewUser)
        if isinstance(body, JSONResponse):
            return body
        user = backend.add_user(body.credits)
        return JSONResponse({"user_id": user.user_id, "token": user.token, "credits": user.credits})

    async def sim_clock(request: Request) -> Response:
        if request.method == "POST":
            body = await _parse(request, _ClockAdvance)
            if isinstance(body, JSONResponse):
                return body
            backend.clock.advance(body.advance_s)
        return JSONResponse({"now": iso_utc(backend.clock.now()), "offset_s": backend.clock.offset})

    async def sim_faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                spec = FaultSpec.model_validate(await _json_body(request))
                faults.apply(spec)
                knobs = {"generation_seconds", "edit_seconds", "heartbeat_every_s"}
                timing = {k: v for k, v in spec.model_dump(include=knobs).items() if v is not None}
                if timing:
                    backend.configure(**timing)
                if spec.release_stalled_renders:
                    backend.renders.release_stalled()
            except ValidationError as exc:
                return _validation_failed(exc)
            except ValueError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"faults": faults.snapshot()})

    async def sim_config(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await _json_body(request)
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                backend.configure(**body)
            except ValidationError as exc:
                return _validation_failed(exc)
            except ValueError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"config": backend.config.model_dump(mode="json")})

    app_user = "/{user}"
    routes = [
        Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
        Route("/api/tasks" + app_user + "/with-session/{app}", authed(create_session), methods=["POST"]),
        Route("/api/auth/claim-token", authed(claim_token), methods=["POST"]),
        Route("/run_sse", run_sse, methods=["POST"]),
        Route("/api/upload-video/{app}" + app_user + "/{sid}", authed(upload), methods=["POST"]),
        Route("/api/credits/balance/simple", authed(credits), methods=["GET"]),
        Route("/api/state/{app}" + app_user + "/{sid}/latest", authed(state), methods=["GET"]),
        Route("/api/render/proxy/lambda", authed(render_submit), methods=["POST"]),
        Route("/api/render/proxy/lambda/{rid}", authed(render_poll), methods=["GET"]),
        Route("/api/render/proxy/lambda/{rid}/cancel", authed(render_cancel), methods=["POST"]),
        Route("/api/render/proxy/{rid}/download", authed(render_download), methods=["GET"]),
        Route("/cdn/{path:path}", cdn, methods=["GET", "HEAD"]),
        Route("/_sim/health", sim_health, methods=["GET"]),
        Route("/_sim/reset", sim_reset, methods=["POST"]),
        Route("/_sim/requests", sim_requests, methods=["GET", "DELETE"]),
        Route("/_sim/users", sim_users, methods=["GET", "POST"]),
        Route("/_sim/clock", sim_clock, methods=["GET", "POST"]),
        Route("/_sim/faults", sim_faults, methods=["GET", "POST"]),
        Route("/_sim/config", sim_config, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SimMiddleware, backend=backend)
    return app


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(policy.UPLOAD_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# Types a minimal platform mimetypes table may lack.
mimetypes.add_type("video/mp4", ".mp4")
mimetypes.add_type("audio/wav", ".wav")
mimetypes.add_type("image/webp", ".webp")
