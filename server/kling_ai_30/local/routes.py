"""The mega-api routes the skill uses (api notes §3), and :func:`build_app`, which serves them.

Auth and sessions, `/run_sse`, credits, state, the render proxy and the CDN live here; uploads in
:mod:`~kling_ai_30.local.uploads`, the `/_sim` admin routes in :mod:`~kling_ai_30.local.admin`, the
shared envelope and error conventions in :mod:`~kling_ai_30.local.wire`. The request log and HTTP
faults sit in front of them all (:mod:`~kling_ai_30.local.middleware`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from kling_ai_30 import policy
from kling_ai_30.local import intents
from kling_ai_30.local.admin import admin_routes
from kling_ai_30.local.draft import has_segments
from kling_ai_30.local.middleware import SimMiddleware
from kling_ai_30.local.state.clock import iso_utc
from kling_ai_30.local.state.records import RenderJob, User
from kling_ai_30.local.state.store import ApiError
from kling_ai_30.local.stream import Channel, SseResponse
from kling_ai_30.local.uploads import upload_endpoint
from kling_ai_30.local.wire import (
    authed,
    base_url,
    fail,
    fail_with,
    json_body,
    ok,
    owned_session,
    parse,
    render_error,
)

if TYPE_CHECKING:
    from kling_ai_30.local.backend import LocalBackend

ATTRIBUTION_HEADERS = ("x-skill-source", "x-skill-version", "x-skill-platform")
RENDER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
# The agent reads this much of a message; the rule tables are not meant for documents.
MAX_INTERPRETED_CHARS = 8000
EXPORT_BLOCKED = "Free plan export blocked: register or upgrade your plan to unlock export."

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


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


def build_app(backend: LocalBackend) -> Starlette:
    """The Starlette app serving `backend`."""
    store, faults = backend.store, backend.faults

    # --- auth and sessions ---

    async def anonymous_token(request: Request) -> Response:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id:
            return fail(backend.config, 400, "Missing X-Client-Id header", 400)
        if len(client_id) > policy.CLIENT_ID_MAX_LEN:
            return fail(backend.config, 400, f"X-Client-Id must be at most {policy.CLIENT_ID_MAX_LEN} characters", 400)
        if faults.take_rate_limit():
            return fail(backend.config, 429, "Rate limited: too many token requests; retry in 30 seconds.", 429)
        try:
            record, user = store.issue_anonymous_token(client_id, request.client.host if request.client else None)
        except ApiError as exc:
            return fail_with(backend.config, exc)
        return ok(
            {
                "token": record.token,
                "user_id": user.user_id,
                "expires_at": iso_utc(record.expires_at or 0),
                "credits": user.available,
            }
        )

    async def create_session(request: Request, user: User) -> Response:
        if request.path_params["user"] not in ("me", user.user_id):
            return fail(backend.config, 1001, "The user in the path does not match the token.", 401)
        if request.path_params["app"] != policy.APP_NAME:
            return fail(backend.config, 404, f"Unknown app: {request.path_params['app']}", 404)
        body = await parse(request, _CreateSession)
        if isinstance(body, JSONResponse):
            return body
        session = store.create_session(user.user_id, body.task_name, body.language)
        return ok({"task_id": session.task_id, "session_id": session.session_id, "user_id": user.user_id})

    async def claim_token(request: Request, user: User) -> Response:
        body = await parse(request, _Claim)
        if isinstance(body, JSONResponse):
            return body
        session = store.session_for(user.user_id, body.session_id)
        if session.task_id != body.task_id:
            raise ApiError(1002, f"Session not found: {body.session_id}", 404)
        return ok({"claim_token": store.claim_token(session), "expires_in": 7 * 24 * 3600})

    async def credits(request: Request, user: User) -> Response:
        return ok(store.balance(user.user_id))

    async def state(request: Request, user: User) -> Response:
        session = owned_session(backend, request, user)
        return ok(
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
            return fail_with(backend.config, exc)
        run = await parse(request, RunRequest)
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
        intent = intents.interpret(run.text()[:MAX_INTERPRETED_CHARS], session.language)
        config = backend.config
        price = intents.cost(intent, config.costs, config.max_generation_seconds)
        try:
            store.freeze(user.user_id, price)
        except ApiError as exc:
            return fail_with(backend.config, exc)
        channel = Channel(asyncio.get_running_loop())
        backend.start_run(session, user.user_id, intent, price, channel, base_url(request))
        return SseResponse(channel)

    # --- renders ---

    async def render_submit(request: Request, user: User) -> Response:
        missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
        blocked = faults.take_block_export()
        if blocked or (backend.config.export_requires_attribution and user.anonymous and missing):
            return JSONResponse({"code": 402, "message": EXPORT_BLOCKED, "data": None}, status_code=402)
        try:
            body = await json_body(request)
        except ValueError:
            return render_error("invalid JSON body", 400)
        if not isinstance(body, dict):
            return render_error("invalid body", 400)
        render_id = body.get("id")
        if not isinstance(render_id, str) or not RENDER_ID.match(render_id):
            return render_error("invalid render id", 400)
        draft = body.get("draft")
        if not isinstance(draft, dict) or not has_segments(draft):
            return render_error("invalid draft", 400)
        output = body.get("output") or {"format": "mp4", "quality": "high"}
        if not isinstance(output, dict) or output.get("format", "mp4") != "mp4":
            return render_error("unsupported output format (mp4 only)", 400)
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
            return render_error("duplicate render id", 409)
        backend.renders.submit(render_id)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "pending", "progress": 5}})

    async def render_poll(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return render_error("render not found", 404)
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
            return render_error("render not found", 404)
        updated = store.update_render(
            render_id, status="failed", error="cancelled", cancelled=True, completed_at_ms=backend.now_ms()
        )
        if updated is None:
            return render_error(f"render already {job.status}", 409)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "failed", "cancelled": True}})

    async def render_download(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return render_error("render not found", 404)
        path = backend.resolve_media("/cdn/" + job.output_rel) if job.output_rel else None
        if job.status != "completed" or path is None:
            return render_error(f"render not completed (status {job.status})", 409)
        return FileResponse(path, media_type="video/mp4", filename=f"{job.render_id}.mp4")

    # --- CDN ---

    async def cdn(request: Request) -> Response:
        path = backend.resolve_media("/cdn/" + request.path_params["path"])
        if path is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media_type)

    app_user = "/{user}"
    routes = [
        Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
        Route("/api/tasks" + app_user + "/with-session/{app}", authed(backend, create_session), methods=["POST"]),
        Route("/api/auth/claim-token", authed(backend, claim_token), methods=["POST"]),
        Route("/run_sse", run_sse, methods=["POST"]),
        Route(
            "/api/upload-video/{app}" + app_user + "/{sid}", authed(backend, upload_endpoint(backend)), methods=["POST"]
        ),
        Route("/api/credits/balance/simple", authed(backend, credits), methods=["GET"]),
        Route("/api/state/{app}" + app_user + "/{sid}/latest", authed(backend, state), methods=["GET"]),
        Route("/api/render/proxy/lambda", authed(backend, render_submit), methods=["POST"]),
        Route("/api/render/proxy/lambda/{rid}", authed(backend, render_poll), methods=["GET"]),
        Route("/api/render/proxy/lambda/{rid}/cancel", authed(backend, render_cancel), methods=["POST"]),
        Route("/api/render/proxy/{rid}/download", authed(backend, render_download), methods=["GET"]),
        Route("/cdn/{path:path}", cdn, methods=["GET", "HEAD"]),
        *admin_routes(backend),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SimMiddleware, backend=backend)
    return app


# Types a minimal platform mimetypes table may lack.
mimetypes.add_type("video/mp4", ".mp4")
mimetypes.add_type("audio/wav", ".wav")
mimetypes.add_type("image/webp", ".webp")
