"""The account routes of the mega-api: anonymous tokens, project sessions, claim tokens, credits and state.

api notes §3.1-3.3 and §3.7-3.8; every route but the anonymous token needs a bearer token.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kling_ai_30 import policy
from kling_ai_30.local.http.wire import authed, fail, fail_with, ok, owned_session, parse
from kling_ai_30.local.state.clock import iso_utc
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import User
from kling_ai_30.local.state.store import ApiError, Store


class _CreateSession(BaseModel):
    task_name: str = Field(min_length=1, max_length=200)
    language: str | None = Field(default=None, max_length=35)


class _Claim(BaseModel):
    task_id: str
    session_id: str


def account_routes(*, store: Store, faults: Faults, config: Callable[[], SimConfig]) -> list[Route]:
    """Token, session, claim, credits and state routes."""

    async def anonymous_token(request: Request) -> Response:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id:
            return fail(config(), 400, "Missing X-Client-Id header", 400)
        if len(client_id) > policy.CLIENT_ID_MAX_LEN:
            return fail(config(), 400, f"X-Client-Id must be at most {policy.CLIENT_ID_MAX_LEN} characters", 400)
        if faults.take_rate_limit():
            return fail(config(), 429, "Rate limited: too many token requests; retry in 30 seconds.", 429)
        try:
            record, user = store.issue_anonymous_token(client_id, request.client.host if request.client else None)
        except ApiError as exc:
            return fail_with(config(), exc)
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
            return fail(config(), 1001, "The user in the path does not match the token.", 401)
        if request.path_params["app"] != policy.APP_NAME:
            return fail(config(), 404, f"Unknown app: {request.path_params['app']}", 404)
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
        session = owned_session(store, request, user)
        return ok(
            {
                "session_id": session.session_id,
                "task_id": session.task_id,
                "task_name": session.task_name,
                "user_id": user.user_id,
                "state": store.state_of(session),
            }
        )

    app_user = "/{user}"
    return [
        Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
        Route("/api/tasks" + app_user + "/with-session/{app}", authed(store, config, create_session), methods=["POST"]),
        Route("/api/auth/claim-token", authed(store, config, claim_token), methods=["POST"]),
        Route("/api/credits/balance/simple", authed(store, config, credits), methods=["GET"]),
        Route("/api/state/{app}" + app_user + "/{sid}/latest", authed(store, config, state), methods=["GET"]),
    ]
