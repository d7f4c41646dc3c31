"""The `/_sim` admin routes: health, reset, the request log, users, the clock, faults and settings.

Not part of the mega-api: tests and the demo steer the local backend through these (or through
the :class:`~kling_ai_30.local.backend.LocalBackend` object in-process). They are never recorded
in the request log, take no token, and answer bare JSON.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kling_ai_30.local.http.wire import json_body, parse, validation_failed
from kling_ai_30.local.media.render_queue import RenderQueue
from kling_ai_30.local.state.clock import Clock, iso_utc
from kling_ai_30.local.state.fault_spec import FaultSpec
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.live_config import LiveConfig
from kling_ai_30.local.state.store import Store


class _NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credits: int = Field(default=1000, ge=0)


class _ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advance_s: float = Field(ge=0)


def admin_routes(
    *,
    store: Store,
    faults: Faults,
    clock: Clock,
    config: LiveConfig,
    renders: RenderQueue,
    reset: Callable[[], None],
) -> list[Route]:
    """The `/_sim/...` routes; `reset` puts the whole backend back to a fresh start."""

    async def sim_health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "users": len(store.users()),
                "sessions": len(store.sessions()),
                "clock": iso_utc(clock.now()),
                "clock_offset_s": clock.offset,
            }
        )

    async def sim_reset(request: Request) -> Response:
        reset()
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
        body = await parse(request, _NewUser)
        if isinstance(body, JSONResponse):
            return body
        record, user = store.create_registered_user(body.credits)
        return JSONResponse({"user_id": user.user_id, "token": record.token, "credits": user.available})

    async def sim_clock(request: Request) -> Response:
        if request.method == "POST":
            body = await parse(request, _ClockAdvance)
            if isinstance(body, JSONResponse):
                return body
            clock.advance(body.advance_s)
        return JSONResponse({"now": iso_utc(clock.now()), "offset_s": clock.offset})

    async def sim_faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                spec = FaultSpec.model_validate(await json_body(request))
                faults.apply(spec)
                knobs = {"generation_seconds", "edit_seconds", "heartbeat_every_s"}
                timing = {k: v for k, v in spec.model_dump(include=knobs).items() if v is not None}
                if timing:
                    config.change(**timing)
                if spec.release_stalled_renders:
                    renders.release_stalled()
            except ValidationError as exc:
                return validation_failed(exc)
            except ValueError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"faults": faults.snapshot()})

    async def sim_config(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await json_body(request)
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                config.change(**body)
            except ValidationError as exc:
                return validation_failed(exc)
            except ValueError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"config": config.current().model_dump(mode="json")})

    return [
        Route("/_sim/health", sim_health, methods=["GET"]),
        Route("/_sim/reset", sim_reset, methods=["POST"]),
        Route("/_sim/requests", sim_requests, methods=["GET", "DELETE"]),
        Route("/_sim/users", sim_users, methods=["GET", "POST"]),
        Route("/_sim/clock", sim_clock, methods=["GET", "POST"]),
        Route("/_sim/faults", sim_faults, methods=["GET", "POST"]),
        Route("/_sim/config", sim_config, methods=["GET", "POST"]),
    ]
