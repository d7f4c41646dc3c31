"""The web pages the backend's links point to: the project page and the registration page.

The real backend hands out two kinds of links for a browser (api notes §3.3, §9): the project link
``/workspace/claim?ct=<claim token>``, which opens the project in the web editor, and the
registration link ``/register?bind=<user id>`` for an anonymous user out of credits. The local
backend answers both with real pages (:mod:`~kling_ai_30.local.http.page_html`):

- the project page shows the timeline and a player of the latest render, and the credits left;
- the registration page registers the anonymous account (a form posting to ``/register``): same
  user, projects and token, no longer anonymous, ``SimConfig.registration_credits`` more credits.

Every page is sent with a strict Content-Security-Policy (nothing but its own media), no referrer
(the claim token in the address must not travel on), and no caching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from kling_ai_30.local.http.page_html import (
    Clip,
    Lane,
    ProjectView,
    RegisterView,
    Render,
    message_page,
    project_page,
    register_page,
)
from kling_ai_30.local.media.files import cdn_rel_path
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.records import RenderJob, Session
from kling_ai_30.local.state.store import ApiError, Store

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; media-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_LANE_STYLES = {0: "video", 1: "bgm"}  # by track type; text tracks (7) by their name


def page_routes(*, store: Store, config: Callable[[], SimConfig]) -> list[Route]:
    """The project page and the registration page (GET, and POST for registering)."""

    async def project(request: Request) -> Response:
        session = store.claimed_session(request.query_params.get("ct", ""))
        if session is None:
            return _html(
                message_page(
                    "This project link has expired",
                    "Project links last 7 days and belong to one backend. Ask for the project again "
                    "(export it, or check its status) to get a fresh link.",
                ),
                404,
            )
        return _html(project_page(_project_view(store, session)))

    async def register(request: Request) -> Response:
        if request.method == "POST":
            user_id = str((await request.form()).get("bind", ""))
            try:
                store.register(user_id, config().registration_credits)
            except ApiError:
                return _unknown_account()
            return RedirectResponse(f"/register?bind={quote(user_id)}", status_code=303)
        user_id = request.query_params.get("bind", "")
        try:
            user = store.user(user_id)
        except KeyError:
            return _unknown_account()
        return _html(
            register_page(RegisterView(user_id, not user.anonymous, user.available, config().registration_credits))
        )

    return [
        Route("/workspace/claim", project, methods=["GET"]),
        Route("/register", register, methods=["GET", "POST"]),
    ]


def _project_view(store: Store, session: Session) -> ProjectView:
    state = store.state_of(session)
    draft: dict[str, Any] = state.get("draft") or {}
    meta: dict[str, Any] = draft.get("m") or {}
    lanes = tuple(_lane(track) for track in draft.get("t") or [] if isinstance(track, dict))
    try:
        user = store.user(session.user_id)
        credits, anonymous = user.available, user.anonymous
    except KeyError:
        credits, anonymous = 0, False
    return ProjectView(
        title=str(meta.get("title") or "Untitled project"),
        summary=_summary(lanes),
        duration_ms=int(draft.get("d") or 0),
        ratio=str(meta.get("ratio") or (state.get("canvas_config") or {}).get("ratio") or "16:9"),
        lanes=lanes,
        render=_render(store.latest_render(session.session_id)),
        still=_still(draft),
        credits=credits,
        anonymous=anonymous,
        register_path=f"/register?bind={quote(session.user_id)}" if anonymous else None,
    )


def _lane(track: dict[str, Any]) -> Lane:
    name = str((track.get("m") or {}).get("name") or "Track")
    tt = track.get("tt")
    if isinstance(tt, int) and tt in _LANE_STYLES:
        kind = _LANE_STYLES[tt]
    else:
        kind = "subtitle" if name == "Subtitle" else "title"
    clips = []
    for segment in track.get("sg") or []:
        if not isinstance(segment, dict):
            continue
        info: dict[str, Any] = segment.get("m") or {}
        start, length = int(segment.get("st") or 0), int(segment.get("d") or 0)
        if kind == "bgm":
            volume = round(float(info.get("volume", 0)) * 100)
            clips.append(Clip(start, length, str(info.get("name") or "Music"), volume))
        elif kind == "video":
            clips.append(Clip(start, length, str(info.get("name") or "clip")))
        else:
            clips.append(Clip(start, length, f'"{info.get("text") or ""}"'))
    return Lane(name, kind, tuple(clips))


def _summary(lanes: tuple[Lane, ...]) -> str:
    """The timeline in one line, the way the skill text writes it."""
    if not lanes:
        return "The timeline is empty."
    parts = []
    for number, lane in enumerate(lanes, start=1):
        spans = ", ".join(f"{clip.label} ({_span(clip)})" for clip in lane.clips)
        parts.append(f"{number}. {lane.name}: {spans or 'empty'}")
    count = len(lanes)
    return f"Timeline ({count} track{'' if count == 1 else 's'}): " + " ".join(parts)


def _span(clip: Clip) -> str:
    """ "0-10s", or "0-10s, 35%" for music."""
    span = f"{clip.start_ms / 1000:g}-{(clip.start_ms + clip.duration_ms) / 1000:g}s"
    return span if clip.volume is None else f"{span}, {clip.volume}%"


def _render(job: RenderJob | None) -> Render | None:
    if job is None or not job.output_rel:
        return None
    return Render(path=f"/cdn/{job.output_rel}", seconds=job.duration_s, size_bytes=job.size)


def _still(draft: dict[str, Any]) -> str | None:
    """The first clip's picture, by path (a still only: a clip's first frame is not a file)."""
    for track in draft.get("t") or []:
        for segment in track.get("sg") or [] if isinstance(track, dict) and track.get("tt") == 0 else []:
            info = segment.get("m") or {}
            rel = cdn_rel_path(str(segment.get("src") or ""))
            if rel is not None and info.get("kind", "image") == "image":
                return "/cdn/" + quote(rel)
    return None


def _html(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def _unknown_account() -> HTMLResponse:
    return _html(
        message_page(
            "This registration link does not match an account",
            "It belongs to another backend, or the account was reset. Use the link your assistant gave you last.",
        ),
        404,
    )
