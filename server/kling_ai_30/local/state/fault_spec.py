"""The JSON form of the fault controls: the body of `POST /_sim/faults` (every key optional).

Subprocess tests, which cannot hold the backend object, arm the same faults as in-process tests
through this model; :meth:`~kling_ai_30.local.state.faults.Faults.apply` carries it out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Where a dropped stream or a mid-stream error happens in a /run_sse reply:
# before any event; right after the first functionCall event; right after the first reply text.
Phase = Literal["before_first_event", "mid_tool_call", "after_text"]
# "abort" cuts the connection (the client sees an incomplete body); "close" ends it cleanly.
DropMode = Literal["abort", "close"]

DEFAULT_STREAM_ERROR = "Internal error: the agent run failed (injected fault)."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DropSpec(_Strict):
    phase: Phase
    times: int = Field(default=1, ge=1)
    mode: DropMode = "abort"


class StreamErrorSpec(_Strict):
    phase: Phase = "mid_tool_call"
    message: str = DEFAULT_STREAM_ERROR
    times: int = Field(default=1, ge=1)


class SilentSpec(_Strict):
    silent: bool = True
    times: int | None = Field(default=1, ge=1)


class HttpErrorSpec(_Strict):
    path_prefix: str
    status: int = Field(default=503, ge=500, le=599)
    times: int | None = Field(default=1, ge=1)


class DelaySpec(_Strict):
    path_prefix: str
    seconds: float = Field(ge=0)
    times: int | None = Field(default=None, ge=1)


class CreditsSpec(_Strict):
    user_id: str | None = None  # None = every user
    available: int = Field(ge=0)


class FaultSpec(_Strict):
    """Body of `POST /_sim/faults`; every key optional, unknown keys refused."""

    clear: bool = False
    expire_tokens: bool = False
    revoke_token: str | None = None
    lose_session: str | None = None  # a session id, or "*" for all
    set_credits: CreditsSpec | None = None
    rate_limit_tokens: int | None = Field(default=None, ge=1)
    block_export: bool | int | None = None
    fail_renders: int | None = Field(default=None, ge=1)
    render_error: str | None = None
    stall_renders: bool | int | None = None
    release_stalled_renders: bool = False
    drop_stream: DropSpec | None = None
    stream_error: StreamErrorSpec | None = None
    trailing_issue: bool | int | None = None
    silent_edits: SilentSpec | None = None
    http_error: HttpErrorSpec | None = None
    delay: DelaySpec | None = None
    # Timing knobs (SimConfig fields), for subprocess tests that cannot build their own config.
    generation_seconds: float | None = Field(default=None, ge=0)
    edit_seconds: float | None = Field(default=None, ge=0)
    heartbeat_every_s: float | None = Field(default=None, gt=0)
