"""What a request came to, and its one reading for both front ends (``JobResult``).

Every request that runs steps has a job (one answered at once is recorded as a finished job, so its
id works like any other); a request that found the project busy has the busy job. ``report`` turns a
job, as it stands after the front end's wait, into the published result: the MCP tools send it as
structured content, the command line prints its message or its JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..client.models import UploadedFile
from ..errors import RenderTimeoutError
from ..jobs.job import Job, JobKind, JobStatus
from ..results import CreditsView, ExportView, StateView, View


@dataclass(frozen=True)
class Outcome:
    """A request's job, and how it came to be the one to follow."""

    job: Job
    routed_to: tuple[str, ...] = ()
    """The actions the request was routed to, in order."""
    reused: bool = False
    """The project was already busy with this kind of work: ``job`` is that job, and nothing of this
    request was done or sent."""
    same_request: bool = False
    """With ``reused``: the busy job is this very request (sent before by a call that gave up
    waiting); otherwise an earlier, different one, and this request still has to be sent."""

    def lead(self, follow_up: FollowUp) -> str | None:
        """What to say before the job's own message (the same words on every front end)."""
        if not self.reused:
            return None
        if self.same_request:
            return f"This request is already being worked on (job {self.job.id}); this message was not sent again."
        return (
            f"Your new request was not sent: the previous one (job {self.job.id}) was still running in this "
            f"project. Send it again when that one finishes; {follow_up(self.job.id)}."
        )


FollowUp = Callable[[str], str]
"""How the front end's user follows a running job up, given its id ("call the job tool…")."""


class JobResult(View):
    """A ``generate``, ``export`` or ``job`` result."""

    status: Literal["done", "running", "failed"]
    job_id: str = Field(description="Pass to the job tool to keep waiting or to read the result later.")
    kind: Literal["generate", "export"]
    phase: str = Field(description="What the job is doing now (or 'done' / 'failed').")
    progress: float | None = Field(default=None, description="0..1 when known.")
    routed_to: list[str] = Field(default_factory=list, description="The actions the message was routed to.")
    reply: str | None = Field(default=None, description="The backend's reply, GUI-translated.")
    timeline: str | None = Field(default=None, description="Timeline summary after the change.")
    changes: list[str] = Field(default_factory=list, description="What changed, one line each.")
    question: str | None = Field(default=None, description="The backend asks this before it can go on.")
    recovered: bool = Field(
        default=False,
        description="The connection dropped; the outcome was read from the project (nothing was sent twice).",
    )
    export: ExportView | None = None
    credits: CreditsView | None = None
    state: StateView | None = None
    uploads: list[UploadedFile] = Field(default_factory=list)
    error_type: str | None = Field(default=None, description="Why a failed job failed (an error class name).")
    error_code: int | None = Field(default=None, description="The backend's error code or HTTP status, if any.")
    next_step: str | None = Field(default=None, description="What to do next, when the job is not done.")
    reused: bool = Field(
        default=False,
        description="Nothing of this request was sent: this is the project's earlier job, still being worked on "
        "(the message says whether it is this same request).",
    )


def can_retry(job: Job) -> bool:
    """A job that stopped waiting on a render which may still finish: asking for it again polls it."""
    return (
        job.status is JobStatus.FAILED
        and job.error is not None
        and job.error.type == RenderTimeoutError.__name__
        and job.render_id is not None
    )


def report(outcome: Outcome, job: Job, follow_up: FollowUp) -> JobResult:
    """``outcome``'s job as it stands now (``job``), as the published result."""
    output = job.result
    next_step: str | None = None
    if job.status is JobStatus.RUNNING:
        status: Literal["done", "running", "failed"] = "running"
        message = f"{job.message or 'Working on it…'}\nStill running (job {job.id}); {follow_up(job.id)}."
        next_step = f"Call job with job_id={job.id!r} (it waits up to wait_seconds) until status is done."
    elif job.status is JobStatus.FAILED:
        status = "failed"
        message = job.failure_text()
        if job.kind is JobKind.EXPORT or can_retry(job):
            message += f" (job {job.id})"  # the id that "ask for this job again" needs
    else:
        status = "done"
        message = (output.message if output is not None else "") or job.message or "Done."
    lead = outcome.lead(follow_up)
    if lead:
        message = f"{lead}\n\n{message}"
    reply = output.reply if output is not None else None
    return JobResult(
        status=status,
        job_id=job.id,
        kind=job.kind.value,
        phase=job.phase,
        progress=job.progress,
        message=message,
        routed_to=list(outcome.routed_to),
        reply=output.message if output is not None and job.kind is JobKind.GENERATE and status == "done" else None,
        timeline=reply.timeline if reply is not None else None,
        changes=list(output.changes) if output is not None else [],
        question=reply.question if reply is not None else None,
        recovered=reply.recovered if reply is not None else False,
        export=output.export if output is not None else None,
        credits=output.credits if output is not None else None,
        state=output.state if output is not None else None,
        uploads=list(output.uploads) if output is not None else [],
        error_type=job.error.type if job.error is not None else None,
        error_code=job.error.code if job.error is not None else None,
        next_step=next_step,
        reused=outcome.reused,
    )
