"""A job: a ``generate`` or ``export`` that belongs to the server, not to the tool call that started it."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class JobKind(StrEnum):
    GENERATE = "generate"
    EXPORT = "export"


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    """Everything needed to report on a job, and to resume it after a restart."""

    id: str
    kind: JobKind
    project: str
    status: JobStatus = JobStatus.RUNNING
    phase: str = "starting"
    message: str = ""
    """The latest progress line, fit to show the user."""
    progress: float | None = None
    """0..1 when known."""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    request: dict[str, Any] = field(default_factory=dict)
    """What was asked (generate: the message; export: the output directory). Never re-sent."""
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    """``{"type": ..., "code": ..., "message": ...}`` when failed."""
    render_ids: list[str] = field(default_factory=list)
    """Every render submitted for this job; the last one is the one to resume."""
    before: dict[str, Any] | None = None
    """Generate: the draft and canvas before the message, to recognise its effect after a restart."""
    owner_pid: int | None = None
    session_id: str | None = None

    @staticmethod
    def new_id(kind: JobKind) -> str:
        return f"{kind.value[:3]}_{secrets.token_hex(6)}"

    @property
    def render_id(self) -> str | None:
        return self.render_ids[-1] if self.render_ids else None

    @property
    def finished(self) -> bool:
        return self.status is not JobStatus.RUNNING

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Job | None:
        """A job from persisted data, or None when the data is unusable."""
        if not isinstance(data, dict):
            return None
        try:
            known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
            known["kind"] = JobKind(data["kind"])
            known["status"] = JobStatus(data.get("status", "running"))
            job = cls(**known)
        except (KeyError, ValueError, TypeError):
            return None
        if not isinstance(job.id, str) or not isinstance(job.project, str):
            return None
        return job
