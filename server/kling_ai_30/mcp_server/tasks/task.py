"""A job read as an MCP task: the wire ``Task`` (ext-tasks spec, "Tasks"), its id, and how a job maps onto it.

| job                                   | task                                                       |
|---------------------------------------|------------------------------------------------------------|
| running                               | ``working``; ``statusMessage`` is the phase line           |
| done, or failed                       | ``completed``; ``result`` is what the ``job`` tool returns |
| failed as ``JobCancelled``            | ``cancelled``; ``statusMessage`` says what was not spent   |

A failed job is ``completed`` with an ``isError`` result, never ``failed``: the spec keeps
``failed`` for JSON-RPC errors, and a tool failure is a result.

The task id is ``<job id>.<secret>``: the job id finds the record, the secret (saved with the job
before it runs) makes the id unguessable — job ids are shown to the model and have only 48 bits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ...jobs.cancel import was_cancelled, why_it_goes_on
from ...jobs.job import Job, JobKind, JobStatus
from ...policy import TASK_POLL_EXPORT_MS, TASK_POLL_GENERATE_MS, TASK_TTL_S
from ...workspace.outcome import Outcome, report
from ..tool_call import follow_up, job_tool_result

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]

_SEPARATOR = "."


class Task(BaseModel):
    """``tasks/get``'s ``DetailedTask``; with ``result_type="task"``, the handle a ``tools/call`` returns."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    result_type: Literal["task", "complete"] = "complete"
    task_id: str
    status: TaskStatus
    status_message: str | None = None
    created_at: str
    last_updated_at: str
    ttl_ms: int
    """Always an integer: the official client does not recognise a task without one."""
    poll_interval_ms: int
    result: CallToolResult | None = None
    """When ``completed``: the whole tool result, dumped with its own ``resultType`` (the official
    client fails a task whose result lacks it)."""

    def as_handle(self) -> Task:
        """The ``CreateTaskResult``: the task's seed state, never its result (``tasks/get`` gives that)."""
        return self.model_copy(update={"result_type": "task", "result": None})


def task_id_of(job: Job) -> str | None:
    """The task id of ``job``; None for a job that has no task secret (saved by an older version)."""
    return f"{job.id}{_SEPARATOR}{job.task_secret}" if job.task_secret else None


def job_id_in(task_id: str) -> str:
    """The job id a task id names (checked against the secret by ``is_task_of``)."""
    return task_id.partition(_SEPARATOR)[0]


def is_task_of(task_id: str, job: Job) -> bool:
    """``task_id`` is ``job``'s, secret and all (compared in constant time)."""
    expected = task_id_of(job)
    return expected is not None and secrets.compare_digest(task_id.encode(), expected.encode())


def task_of(outcome: Outcome, told: Callable[[str], str] = lambda message: message) -> Task:
    """The outcome's job, as it stands, as a task; a completed one's message passes through ``told``
    (what the user must still hear, as every tool result carries it)."""
    job = outcome.job
    task_id = task_id_of(job)
    assert task_id is not None, "only a job with a task secret is a task"
    status: TaskStatus
    message = job.message or None
    result = None
    if job.status is JobStatus.RUNNING:
        status = "working"
        message = f"{why_it_goes_on(job)}\n{job.message}" if job.cancel_requested else job.message or "Starting…"
    elif was_cancelled(job):
        status = "cancelled"
        message = job.error.message if job.error is not None else message
    else:
        status = "completed"
        view = report(outcome, job, follow_up)
        view.message = told(view.message)
        result = job_tool_result(view)
    return Task(
        task_id=task_id,
        status=status,
        status_message=message,
        created_at=_iso(job.created_at),
        last_updated_at=_iso(job.updated_at),
        ttl_ms=TASK_TTL_S * 1000,
        poll_interval_ms=TASK_POLL_EXPORT_MS if job.kind is JobKind.EXPORT else TASK_POLL_GENERATE_MS,
        result=result,
    )


def _iso(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the spec's examples write it."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
