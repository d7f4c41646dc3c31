"""Settings of the local backend: one strict model, every field with its default and why.

Defaults follow the documented backend (reference/nemo-api.md §10); tests shrink the timings and
the render size so a whole generate → export round trip takes a second or two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kling_ai_30 import policy

# The /run_sse event vocabularies a client must understand (api notes §5.2 vs §5.4).
Vocabulary = Literal["adk", "typed"]
# The two documented render-poll shapes (api notes §3.10): A = {success, data:{status, outputUrl}},
# B = {taskId, status, output:{url}} at the top level.
PollShape = Literal["A", "B"]


class Costs(BaseModel):
    """Credit prices of the local backend's agent (the real ones are undocumented)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Our choice, scaled so 100 free credits buy one 30 s clip (60) and a few edits (api notes §10
    # says ~100 per clip and ~50 per edit session on the real backend).
    generation_per_second: int = Field(default=2, ge=0)
    edit: int = Field(default=5, ge=0)
    text_reply: int = Field(default=0, ge=0)


class SimConfig(BaseModel):
    """Everything the local backend can be told at start; strict so a typo is an error."""

    model_config = ConfigDict(extra="forbid")

    # Where uploads, generated media and renders go; None = a fresh temp dir removed on close.
    data_dir: Path | None = None
    # Keep users, sessions, credits, renders and media in data_dir from one run to the next, shared
    # with every backend running over the same folder at the same time (the CLI's offline project).
    persistent: bool = False
    # Seeds the agent's choices (silent edits, reply variants, thought parts) per session.
    seed: int = 0
    # api notes §5.4: "~30% of edits return no text".
    silent_edit_ratio: float = Field(default=0.3, ge=0.0, le=1.0)
    # How often a run starts with a hidden reasoning part (`thought: true`) a client must skip.
    thought_ratio: float = Field(default=0.5, ge=0.0, le=1.0)
    # Simulated tool time; the real backend takes 100-300 s to generate and 10-30 s to edit.
    generation_seconds: float = Field(default=3.0, ge=0.0)
    edit_seconds: float = Field(default=0.5, ge=0.0)
    heartbeat_every_s: float = Field(default=1.0, gt=0.0)
    # Renders: full size by default; tests use ~144 px at ~8 fps.
    # 1920 so a 9:16 video is 1080×1920, as the skill text says ("up to 1080x1920"); the canvases
    # (RATIOS in agent/draft.py) are never taller, so by default nothing is scaled down.
    render_max_height: int = Field(default=1920, ge=16)
    render_fps: int = Field(default=30, ge=1, le=60)
    render_workers: int = Field(default=2, ge=1)
    vocabulary: Vocabulary = "adk"
    render_poll_shape: PollShape = "A"
    # Sources disagree on the HTTP status of body-code errors (api notes §2.3); True sends them all
    # with HTTP 200, as some gateways do.
    errors_with_http_200: bool = False
    max_upload_bytes: int = Field(default=policy.MAX_UPLOAD_BYTES, ge=1)
    anonymous_credits: int = Field(default=100, ge=0)  # skill text: "100 credits"
    # Added when an anonymous user registers on the registration page (the real number is
    # undocumented; our choice: enough for a few more 30 s clips).
    registration_credits: int = Field(default=500, ge=0)
    costs: Costs = Field(default_factory=Costs)
    # skill text: "7-day expiry"; api notes §3.1: 1 token per client id and 10 per IP per 7 days.
    token_ttl_s: float = Field(default=policy.ANONYMOUS_TOKEN_TTL_S, gt=0)
    tokens_per_ip: int = Field(default=10, ge=1)
    ip_window_s: float = Field(default=7 * 24 * 3600, gt=0)
    # skill text: export without attribution headers is refused with 402 for anonymous users.
    export_requires_attribution: bool = True
    # Longest clip the agent agrees to generate (the product is about ~30 s videos).
    max_generation_seconds: int = Field(default=60, ge=1)

    @model_validator(mode="after")
    def _kept_somewhere(self) -> SimConfig:
        if self.persistent and self.data_dir is None:
            raise ValueError("a persistent backend needs a data_dir to keep its state in")
        return self
