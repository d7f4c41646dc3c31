"""The render proxy routes (api notes §3.9-3.11): submit a draft, poll it, cancel it, download the MP4.

These answer the `success` envelope, not the `code` one. Export is refused with 402 for anonymous
users without attribution headers (skill text), or when a fault blocks it; the render itself runs
on the :class:`~kling_ai_30.local.media.render_queue.RenderQueue`. A render that a closed backend
left unfinished (a kept offline project, one process after another) is started again by the first
backend asked about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from kling_ai_30.local.agent.draft import has_segments
from kling_ai_30.local.http.wire import UserHandler, authed, base_url, json_body, render_error
from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.media.render_queue import RenderQueue
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import RenderJob, User
from kling_ai_30.local.state.store import ApiError, Store

ATTRIBUTION_HEADERS = ("x-skill-source", "x-skill-version", "x-skill-platform")
RENDER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
EXPORT_BLOCKED = "Free plan export blocked: register or upgrade your plan to unlock export."


def render_routes(
    *,
    store: Store,
    faults: Faults,
    config: Callable[[], SimConfig],
    clock: Clock,
    files: MediaFiles,
    renders: RenderQueue,
) -> list[Route]:
    """Submit, poll, cancel and download routes."""

    async def render_submit(request: Request, user: User) -> Response:
        missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
        blocked = faults.take_block_export()
        if blocked or (config().export_requires_attribution and user.anonymous and missing):
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
            created_at_ms=clock.now_ms(),
        )
        try:
            store.add_render(job)
        except ApiError:
            return render_error("duplicate render id", 409)
        renders.submit(render_id)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "pending", "progress": 5}})

    async def render_poll(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return render_error("render not found", 404)
        if not job.finished and store.adopt_render(job.render_id):
            renders.submit(job.render_id)
            job = store.render_for(user.user_id, job.render_id)
        url = f"{base_url(request)}/cdn/{job.output_rel}" if job.output_rel and job.status == "completed" else None
        if config().render_poll_shape == "B":
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
            render_id, status="failed", error="cancelled", cancelled=True, completed_at_ms=clock.now_ms()
        )
        if updated is None:
            return render_error(f"render already {job.status}", 409)
        return JSONResponse({"success": True, "data": {"id": render_id, "status": "failed", "cancelled": True}})

    async def render_download(request: Request, user: User) -> Response:
        try:
            job = store.render_for(user.user_id, request.path_params["rid"])
        except ApiError:
            return render_error("render not found", 404)
        path = files.resolve("/cdn/" + job.output_rel) if job.output_rel else None
        if job.status != "completed" or path is None:
            return render_error(f"render not completed (status {job.status})", 409)
        return FileResponse(path, media_type="video/mp4", filename=f"{job.render_id}.mp4")

    def route(path: str, handler: UserHandler, method: str) -> Route:
        return Route(path, authed(store, config, handler), methods=[method])

    return [
        route("/api/render/proxy/lambda", render_submit, "POST"),
        route("/api/render/proxy/lambda/{rid}", render_poll, "GET"),
        route("/api/render/proxy/lambda/{rid}/cancel", render_cancel, "POST"),
        route("/api/render/proxy/{rid}/download", render_download, "GET"),
    ]
