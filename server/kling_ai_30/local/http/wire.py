"""The HTTP conventions every route shares: envelopes, error bodies, body parsing and the auth wrapper.

Envelopes (api notes §2.3): `{"code":0,"data":…}` on auth, tasks, upload, credits, state and claim;
`{"code":N,"message":…,"data":null}` for their errors; `{"success":…}` on the render proxy; bare
FastAPI bodies (`{"detail":…}`) for `/run_sse` validation and unknown sessions. Body-code errors
use HTTP 401 (1001), 404 (1002), 200 (2001: a 402 would read as "plan blocks export"), 400 (4001)
and 413 (4002), or all HTTP 200 with `SimConfig.errors_with_http_200`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kling_ai_30 import policy
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.records import Session, User
from kling_ai_30.local.state.store import ApiError, Store

# Body codes that may travel with HTTP 200 (SimConfig.errors_with_http_200).
BODY_CODES = frozenset({1001, 1002, 2001, 4001, 4002})
RATE_LIMIT_RETRY_AFTER = str(int(policy.RATE_LIMIT_RETRY_DELAY_S))

Handler = Callable[[Request], Awaitable[Response]]
UserHandler = Callable[[Request, User], Awaitable[Response]]
_M = TypeVar("_M", bound=BaseModel)


def ok(data: Any) -> JSONResponse:
    """The `code` envelope's success."""
    return JSONResponse({"code": 0, "data": data})


def fail(
    config: SimConfig, code: int, message: str, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The `code` envelope's error, with HTTP 200 for body codes when the config says so."""
    if config.errors_with_http_200 and code in BODY_CODES:
        status = 200
    return JSONResponse({"code": code, "message": message, "data": None}, status_code=status, headers=headers)


def fail_with(config: SimConfig, exc: ApiError) -> JSONResponse:
    """:func:`fail` for a store error; a rate limit says when to retry."""
    headers = {"Retry-After": RATE_LIMIT_RETRY_AFTER} if exc.status == 429 else None
    return fail(config, exc.code, exc.message, exc.status, headers)


def render_error(message: str, status: int) -> JSONResponse:
    """The render proxy's `success` envelope error."""
    return JSONResponse({"success": False, "error": message}, status_code=status)


def validation_failed(exc: ValidationError) -> JSONResponse:
    """FastAPI's 422 body for a request body that does not fit its model."""
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


async def json_body(request: Request) -> Any:
    """The decoded JSON body (`{}` when empty); ValueError when it is not JSON."""
    raw = await request.body()
    return json.loads(raw) if raw else {}


async def parse(request: Request, model: type[_M]) -> _M | JSONResponse:
    """The body as `model`, or the FastAPI-style 422 answer."""
    try:
        body = await json_body(request)
    except ValueError as exc:
        return _json_invalid(str(exc))
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        return validation_failed(exc)


def authed(store: Store, config: Callable[[], SimConfig], handler: UserHandler) -> Handler:
    """An endpoint that resolves the bearer token to a user first; store errors become envelopes."""

    async def endpoint(request: Request) -> Response:
        try:
            user = store.authenticate(request.headers.get("authorization"))
            return await handler(request, user)
        except ApiError as exc:
            return fail_with(config(), exc)

    return endpoint


def base_url(request: Request) -> str:
    """This server's URL as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def owned_session(store: Store, request: Request, user: User) -> Session:
    """The session named in the path, checking the app name and the `me`/user segment."""
    params = request.path_params
    sid = str(params["sid"])
    wrong_app = params.get("app", policy.APP_NAME) != policy.APP_NAME
    if wrong_app or params.get("user", "me") not in ("me", user.user_id):
        raise ApiError(1002, f"Session not found: {sid}", 404)
    return store.session_for(user.user_id, sid)
