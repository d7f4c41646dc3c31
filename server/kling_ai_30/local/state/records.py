"""The records the store keeps: users, tokens, sessions, credit reservations, served media, renders
and logged requests.

Plain dataclasses; the store owns them behind its lock and hands out copies. Everything but the
request log can be saved (:mod:`~kling_ai_30.local.state.snapshot`), so a backend kept on disk
finds it again in its next run.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    user_id: str
    anonymous: bool
    available: int
    frozen: int = 0
    spent: int = 0
    client_id: str | None = None


@dataclass
class TokenRecord:
    token: str
    user_id: str
    client_id: str | None
    ip: str | None
    issued_at: float
    expires_at: float | None
    revoked: bool = False

    def live(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


def empty_state() -> dict[str, Any]:
    """A new session's state: the five documented keys (api notes §3.8)."""
    return {
        "video_infos": [],
        "draft": {},
        "canvas_config": {"width": 1920, "height": 1080, "ratio": "16:9"},
        "video_analyses": {},
        "generated_media": [],
    }


@dataclass
class Session:
    session_id: str
    task_id: str
    task_name: str
    language: str | None
    user_id: str
    ordinal: int
    rng: random.Random
    state: dict[str, Any] = field(default_factory=empty_state)
    runs: int = 0  # messages answered so far (seeds the generator of a session loaded from disk)
    # Runs of one session execute one after another, like one agent conversation.
    run_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Reservation:
    """Credits frozen for one agent run, until the run settles them; `owner` is the backend running it."""

    reservation_id: str
    user_id: str
    amount: int
    owner: str


@dataclass
class MediaRecord:
    """What the backend knows about a file it serves under /cdn/ (the URL's path after /cdn/)."""

    rel_path: str
    kind: str  # image | video | audio: what the file really is (a URL placeholder may differ)
    width: int = 0
    height: int = 0
    duration: float = 0.0
    readable: bool = True
    # What the picture shows, when the file says so (the backdrop generator writes it into the
    # stills it paints); never taken from the file's name.
    description: str = ""


@dataclass
class RenderJob:
    render_id: str
    user_id: str
    session_id: str | None
    draft: dict[str, Any]
    output: dict[str, Any]
    created_at_ms: int
    status: str = "pending"
    progress: int = 5
    error: str | None = None
    completed_at_ms: int | None = None
    output_rel: str | None = None  # path under /cdn/ once completed
    size: int = 0
    duration_s: float = 0.0
    cancelled: bool = False
    owner: str | None = None  # the backend whose render queue works on it (None: not queued yet)

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the backend saw it; the bearer value is never kept."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    authorization_present: bool
    at: float
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "authorization_present": self.authorization_present,
            "at": self.at,
            "status": self.status,
        }
