"""A job: a ``generate`` or ``export`` that belongs to the server, not to the tool call that started it.

Persisted as JSON with ``model_dump`` and read back with ``model_validate``: a record that does not
validate is damaged (``JobStore`` sets it aside), so a loaded job is always well typed and the rest
of the server never re-checks its fields.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..results import Failure
from .output import JobOutput
from .plan import PlanStep, SendStep
from .snapshot import Snapshot

_JOB_ID = re.compile(r"[a-z]{3}_[0-9a-f]{6,32}")


def is_job_id(value: str) -> bool:
    """``gen_…`` / ``exp_…`` as ``Job.new_id`` makes them."""
    return bool(_JOB_ID.fullmatch(value))


class JobKind(StrEnum):
    GENERATE = "generate"
    EXPORT = "export"


def long_work_kind(steps: Sequence[PlanStep]) -> JobKind:
    """The kind of job a plan runs as: a generate when it sends a message, else an export."""
    return JobKind.GENERATE if any(isinstance(step, SendStep) for step in steps) else JobKind.EXPORT


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRequest(BaseModel):
    """What was asked, as the user asked it. Never re-sent: kept to recognise the same request and
    to tell the user which one a busy project is working on."""

    model_config = ConfigDict(extra="forbid")

    message: str | None = None
    """Generate: the message for the video assistant."""
    output_dir: str | None = None
    """Where an export delivers the MP4."""
    routed_to: list[str] = Field(default_factory=list)
    """The actions the request was routed to."""
    clips: int = 0
    edits: int = 0
    """What the cost estimate counted the messages as (new clips, edits): what this job's cost, once
    known, teaches the next estimate."""


_Seconds = Annotated[float, Field(allow_inf_nan=False)]


class Job(BaseModel):
    """Everything needed to report on a job, and to resume it after a restart."""

    # Unknown keys are ignored rather than refused: they harm nothing, and what matters is typed.
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(pattern=_JOB_ID.pattern)]
    kind: JobKind
    principal: str
    """Who asked: the job, its result and its video are theirs (another caller's id reads as unknown)."""
    project: str
    """The principal's project (a name) the job works in."""
    status: JobStatus = JobStatus.RUNNING
    phase: str = "starting"
    message: str = ""
    """The latest progress line, fit to show the user."""
    progress: Annotated[float, Field(ge=0, le=1)] | None = None
    """0..1 when known."""
    created_at: _Seconds = Field(default_factory=time.time)
    updated_at: _Seconds = Field(default_factory=time.time)
    request: JobRequest = Field(default_factory=JobRequest)
    result: JobOutput | None = None
    """What the job did so far (saved after each step), and in the end its whole result."""
    error: Failure | None = None
    render_ids: list[str] = Field(default_factory=list)
    """Every render submitted for this job; the last one is the one to resume."""
    before: Snapshot | None = None
    """Generate: the project before the current message (see ``Snapshot``)."""
    owner_pid: int | None = None
    credits_spent: int | None = None
    """What the job cost, from the balance before and after it, when both could be read."""
    accepted: bool = False
    """Generate: the backend accepted the current message (its stream started). From then on the
    message is in the backend's hands; before it, an interrupted job most likely never sent it."""
    steps: list[PlanStep] = Field(default_factory=list)
    """The plan the job carries out in order."""
    step: Annotated[int, Field(ge=0)] = 0
    """The index in ``steps`` of the step being carried out (``before``, ``accepted`` and the last of
    ``render_ids`` belong to it)."""
    sending: bool = False
    """Generate: one of its messages has started out to the backend. From then on its credits may be
    spent, so the job is never abandoned (``jobs.cancel``)."""
    cancel_requested: bool = False
    """A cancel came when the job could no longer be stopped; it goes on, and its status says why."""
    task_secret: str | None = None
    """The secret half of the job's MCP task id (``mcp_server.tasks``); saved with the job before it
    runs, so its task id resolves at once and after a restart. None for jobs that are no task."""

    @model_validator(mode="after")
    def _step_within_plan(self) -> Job:
        if self.step > len(self.steps):
            raise ValueError("the current step lies beyond the plan")
        return self

    @staticmethod
    def new_id(kind: JobKind) -> str:
        return f"{kind.value[:3]}_{secrets.token_hex(6)}"

    @staticmethod
    def new_task_secret() -> str:
        """192 random bits: a task id is a bearer credential (ext-tasks spec, "Task ID unguessability")."""
        return secrets.token_urlsafe(24)

    @property
    def render_id(self) -> str | None:
        return self.render_ids[-1] if self.render_ids else None

    @property
    def finished(self) -> bool:
        return self.status is not JobStatus.RUNNING

    def failure_text(self) -> str:
        """A failed job, told whole: what it did before the failure (a paid reply is never hidden
        behind an error), the error, and the steps it did not get to."""
        said = self.error.message if self.error is not None and self.error.message else self.message
        said = said or "The job failed."
        done = self.result.message if self.result is not None else ""
        parts = [done, f"⚠️ {said}"] if done.strip() else [said]
        if self.result is not None and self.result.not_done:
            parts.append(self.result.not_done)
        return "\n\n".join(parts)
