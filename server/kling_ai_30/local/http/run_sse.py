"""`POST /run_sse`: one chat message in, the agent's run streamed out (api notes §3.4, §5).

The request is checked the way ADK checks it (FastAPI-style 422 and 404 bodies), the message is
read into an intent and its price reserved, and the run starts on its own thread; the response
only relays what the run emits (:class:`~kling_ai_30.local.http.sse.SseResponse`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kling_ai_30 import policy
from kling_ai_30.local.agent.channel import Channel
from kling_ai_30.local.agent.intent import cost
from kling_ai_30.local.agent.interpret import interpret
from kling_ai_30.local.agent.runs import AgentRuns
from kling_ai_30.local.http.sse import SseResponse
from kling_ai_30.local.http.wire import base_url, fail_with, parse
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.store import ApiError, Store

# The agent reads this much of a message; the rule tables are not meant for documents.
MAX_INTERPRETED_CHARS = 8000


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


def run_sse_route(*, store: Store, config: Callable[[], SimConfig], runs: AgentRuns) -> Route:
    """The `/run_sse` route."""

    async def run_sse(request: Request) -> Response:
        try:
            user = store.authenticate(request.headers.get("authorization"))
        except ApiError as exc:
            return fail_with(config(), exc)
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
        intent = interpret(run.text()[:MAX_INTERPRETED_CHARS], session.language)
        settings = config()
        price = cost(intent, settings.costs, settings.max_generation_seconds)
        try:
            reservation = store.freeze(user.user_id, price)
        except ApiError as exc:
            return fail_with(config(), exc)
        channel = Channel(asyncio.get_running_loop())
        runs.start(session, intent, reservation, channel, base_url(request))
        return SseResponse(channel)

    return Route("/run_sse", run_sse, methods=["POST"])
