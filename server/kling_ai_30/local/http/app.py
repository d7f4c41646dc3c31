"""The ASGI app of the local backend: the mega-api routes the skill uses, and `/_sim` behind them.

:func:`build_app` puts the routes together, each given only the parts it uses:
:mod:`~kling_ai_30.local.http.accounts` (tokens, sessions, credits, state),
:mod:`~kling_ai_30.local.http.run_sse` (the chat stream), :mod:`~kling_ai_30.local.http.uploads`,
:mod:`~kling_ai_30.local.http.renders`, :mod:`~kling_ai_30.local.http.cdn`, the web
:mod:`~kling_ai_30.local.http.pages` its links open, and the :mod:`~kling_ai_30.local.http.admin`
routes. The request log and HTTP faults sit in front of them
all (:mod:`~kling_ai_30.local.http.middleware`); the shared envelopes and error bodies are
:mod:`~kling_ai_30.local.http.wire`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from kling_ai_30.local.agent.runs import AgentRuns
from kling_ai_30.local.http.accounts import account_routes
from kling_ai_30.local.http.admin import admin_routes
from kling_ai_30.local.http.cdn import cdn_route
from kling_ai_30.local.http.middleware import SimMiddleware
from kling_ai_30.local.http.pages import page_routes
from kling_ai_30.local.http.renders import render_routes
from kling_ai_30.local.http.run_sse import run_sse_route
from kling_ai_30.local.http.uploads import upload_route
from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.media.render_queue import RenderQueue
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.live_config import LiveConfig
from kling_ai_30.local.state.store import Store


def build_app(
    *,
    store: Store,
    faults: Faults,
    config: LiveConfig,
    clock: Clock,
    files: MediaFiles,
    runs: AgentRuns,
    renders: RenderQueue,
    reset: Callable[[], None],
) -> Starlette:
    """The Starlette app over these parts; `reset` is what `POST /_sim/reset` does."""
    current = config.current
    routes = [
        *account_routes(store=store, faults=faults, config=current),
        run_sse_route(store=store, config=current, runs=runs),
        upload_route(store=store, config=current, files=files),
        *render_routes(store=store, faults=faults, config=current, clock=clock, files=files, renders=renders),
        cdn_route(files),
        *page_routes(store=store, config=current),
        *admin_routes(store=store, faults=faults, clock=clock, config=config, renders=renders, reset=reset),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SimMiddleware, store=store, faults=faults, clock=clock)
    return app
