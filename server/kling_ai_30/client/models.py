"""Wire models: what the backend sends back, read tolerantly.

Every model allows unknown fields (the backend adds them; the public sources disagree on
shapes, see reference/nemo-api.md §12), and optional fields default instead of failing.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..redaction import clean_message

_PLAIN_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def is_plain_id(value: str) -> bool:
    """An id safe to put in a URL path: letters, digits and ``._:-``, not only dots (``..``)."""
    return bool(_PLAIN_ID.fullmatch(value)) and value.strip(".") != ""


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SessionInfo(WireModel):
    """``POST /api/tasks/me/with-session/nemo_agent``."""

    session_id: str
    task_id: str | None = None
    user_id: str | None = None


class Credits(WireModel):
    """``GET /api/credits/balance/simple``."""

    available: int = 0
    frozen: int = 0
    total: int | None = None

    def model_post_init(self, context: Any, /) -> None:
        if self.total is None:
            self.total = self.available + self.frozen

    def describe(self) -> str:
        """The balance as the user reads it, wherever it is shown (tool result, CLI, chat reply)."""
        frozen = f" ({self.frozen} reserved for work in progress)" if self.frozen else ""
        return f"Credits: {self.available} available{frozen}, {self.total} in total."


class UploadedFile(WireModel):
    filename: str | None = None
    file_type: str | None = None
    cdn_url: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    hash: str | None = None


class UploadResult(WireModel):
    """``POST /api/upload-video/nemo_agent/me/<sid>`` (file or URL)."""

    files: list[UploadedFile] = Field(default_factory=list)
    session_state_applied: bool | None = None


class StateBody(WireModel):
    draft: Any = None
    video_infos: list[Any] = Field(default_factory=list)
    canvas_config: Any = None
    generated_media: Any = None
    video_analyses: Any = None


class SessionState(WireModel):
    """``GET /api/state/nemo_agent/me/<sid>/latest``."""

    session_id: str | None = None
    task_id: str | None = None
    task_name: str | None = None
    state: StateBody = Field(default_factory=StateBody)


class ClaimToken(WireModel):
    """``POST /api/auth/claim-token``: opens the project in a browser; no API access."""

    claim_token: str
    expires_in: int | None = None


RENDER_DONE = "completed"
RENDER_FAILED = "failed"


class RenderStatus(WireModel):
    """A render job, from either documented poll shape (api notes §3.10 conflict)."""

    id: str
    status: str = "pending"
    progress: float | None = None
    output_url: str | None = None
    error: str | None = None

    @classmethod
    def from_payload(cls, payload: Any, *, render_id: str) -> RenderStatus:
        """Shape A ``{"data": {"status", "outputUrl"}}`` (maybe already unwrapped) or shape B
        ``{"status", "output": {"url"}}``."""
        body: dict[str, Any] = payload if isinstance(payload, dict) else {}
        data = body.get("data")
        inner: dict[str, Any] = data if isinstance(data, dict) else body
        output = inner.get("output")
        nested_url = output.get("url") if isinstance(output, dict) else None
        url = inner.get("outputUrl") or inner.get("output_url") or nested_url
        status = str(inner.get("status") or "pending").lower()
        progress = inner.get("progress")
        error = inner.get("error") or inner.get("message")
        said_id = inner.get("id") or inner.get("taskId")
        return cls(
            # An id the backend names goes into URL paths and file names: only a plain one is used.
            id=said_id if isinstance(said_id, str) and is_plain_id(said_id) else render_id,
            status=status[:40],
            progress=_finite(progress),
            output_url=url if isinstance(url, str) and url else None,
            error=clean_message(error, limit=200) if error else None,
        )

    @property
    def finished(self) -> bool:
        """Completed *with* a URL, or failed. The official CLI keeps polling a URL-less completion."""
        return (self.status == RENDER_DONE and self.output_url is not None) or self.status in (
            RENDER_FAILED,
            "cancelled",
        )


def _finite(value: Any) -> float | None:
    """A number the backend sent, or None for anything else (bools, NaN, ±inf, integers too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
