"""A job: a ``generate`` or ``export`` that belongs to the server, not to the tool call that started it."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

_JOB_ID = re.compile(r"[a-z]{3}_[0-9a-f]{6,32}")


def is_job_id(value: str) -> bool:
    """``gen_…`` / ``exp_…`` as ``Job.new_id`` makes them."""
    return bool(_JOB_ID.fullmatch(value))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one we may not signal counts: it is alive, just not ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # not a pid at all (a damaged record)
        return False
    return True


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
    accepted: bool = False
    """Generate: the backend accepted the message (its stream started). From then on the message is
    in the backend's hands; before it, an interrupted job most likely never sent it."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """The plan the job carries out in order (``{"action": "sse", "text": ...}``, ``{"action":
    "export"}``, ``credits``, ``state``, ``upload``). Empty in records older than steps: read as the
    one message (and export) of ``request``."""
    step: int = 0
    """The index in ``steps`` of the step being carried out (``before``, ``accepted`` and the last of
    ``render_ids`` belong to it)."""

    @staticmethod
    def new_id(kind: JobKind) -> str:
        return f"{kind.value[:3]}_{secrets.token_hex(6)}"

    @property
    def render_id(self) -> str | None:
        return self.render_ids[-1] if self.render_ids else None

    @property
    def finished(self) -> bool:
        return self.status is not JobStatus.RUNNING

    def failure_text(self) -> str:
        """A failed job, told whole: what it did before the failure (a paid reply is never hidden
        behind an error), the error, and the steps it did not get to."""
        error = (self.error or {}).get("message")
        said = error if isinstance(error, str) and error else self.message or "The job failed."
        result = self.result or {}
        done, not_done = result.get("message"), result.get("not_done")
        parts = [done, f"⚠️ {said}"] if isinstance(done, str) and done.strip() else [said]
        if isinstance(not_done, str) and not_done:
            parts.append(not_done)
        return "\n\n".join(parts)

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
        return job if _well_typed(job) else None


_NUMBER = (int, float)


def _well_typed(job: Job) -> bool:
    """Every field of a job read from disk has the type the code relies on (a hand-edited or
    damaged file must not crash the server later, when the field is used)."""

    def optional(value: Any, kinds: type | tuple[type, ...]) -> bool:
        return value is None or (isinstance(value, kinds) and not isinstance(value, bool))

    return (
        all(isinstance(v, str) for v in (job.id, job.project, job.phase, job.message))
        and all(optional(v, _NUMBER) and v is not None for v in (job.created_at, job.updated_at))
        and optional(job.progress, _NUMBER)
        and isinstance(job.request, dict)
        and all(optional(v, dict) for v in (job.result, job.error, job.before))
        and isinstance(job.render_ids, list)
        and all(isinstance(r, str) for r in job.render_ids)
        and optional(job.owner_pid, int)
        and optional(job.session_id, str)
        and isinstance(job.steps, list)
        and all(isinstance(step, dict) and isinstance(step.get("action"), str) for step in job.steps)
        and optional(job.step, int)
        and job.step is not None
        and 0 <= job.step <= len(job.steps)
    )
