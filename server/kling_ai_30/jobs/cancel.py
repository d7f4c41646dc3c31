"""Cancelling a job, honestly: what can be stopped without losing or wasting anything, and what cannot.

- An export can be abandoned while it checks the timeline, submits and renders: exporting is free,
  so nothing is spent, and the job ends cancelled with nothing downloaded. Once the finished render
  is being downloaded it is let finish (seconds): a cancelled export never leaves behind an MP4 it
  says it did not make.
- A generate can be abandoned until its message starts out to the backend (``Job.sending``): what
  comes before (uploads, reading the credits or the timeline) costs nothing.
- From then on its credits may be spent and the reply is paid for, so it is not stopped: it goes
  on to the end (its automatic export too), and its status says why.

A job stopped here ends as failed with a ``JobCancelled`` error, so every reader (the ``job`` tool,
the command line, a task's ``cancelled`` status) tells it apart from a real failure by that type.
"""

from __future__ import annotations

from ..errors import JobCancelled
from .job import Job, JobKind
from .plan import SendStep

CANCELLED = JobCancelled.__name__
"""The ``Failure.type`` of a job that was stopped on request."""

DOWNLOADING = "downloading"
"""The export's phase once the render is finished and the MP4 is being written (``ExportRun``)."""

EXPORT_CANCELLED = (
    "Export cancelled: the render was abandoned and nothing was downloaded. Exporting is free, so nothing "
    "was spent; ask for the export again to get the MP4."
)
GENERATE_CANCELLED = (
    "Cancelled before your request was sent: nothing reached the video assistant and no credits were spent."
)
ALREADY_SENT = (
    "Can't cancel: your request already reached the video assistant, so its credits are spent. It keeps going, "
    "and you will get its result."
)
ALREADY_DOWNLOADING = "Too late to cancel: the video is rendered and is being saved now."


def stop_message(job: Job) -> str | None:
    """What ``job`` ends with if it is stopped now, or None when it must go on (see the module docstring)."""
    if job.finished:
        return None
    if job.kind is JobKind.EXPORT:
        return None if job.phase == DOWNLOADING else EXPORT_CANCELLED
    return None if has_sent(job) else GENERATE_CANCELLED


def has_sent(job: Job) -> bool:
    """A message of ``job`` may have reached the backend (and been charged for)."""
    # ``accepted`` and the steps done also cover records saved before ``sending`` existed.
    return job.sending or job.accepted or any(isinstance(step, SendStep) for step in job.steps[: job.step])


def why_it_goes_on(job: Job) -> str:
    """The status line of a job that was asked to stop but could not be."""
    return ALREADY_SENT if job.kind is JobKind.GENERATE else ALREADY_DOWNLOADING


def was_cancelled(job: Job) -> bool:
    return job.error is not None and job.error.type == CANCELLED
