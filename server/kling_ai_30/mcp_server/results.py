"""The tools' structured results (the SDK publishes them as output schemas).

Every result carries ``message``: the text the assistant can show as is (GUI-translated, never
raw JSON, never a token). Long-running tools add ``status`` and ``job_id`` (CONTRACT.md).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..jobs.job import Job, JobKind, JobStatus


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="What to tell the user, ready to show.")


class UploadedFileInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    filename: str | None = None
    file_type: str | None = None
    cdn_url: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None


class UploadResult(Result):
    files: list[UploadedFileInfo] = Field(description="The uploaded file(s) as the backend described them.")


class CreditsResult(Result):
    available: int
    frozen: int = Field(description="Reserved for work in progress.")
    total: int


class SegmentInfo(BaseModel):
    start_s: float
    end_s: float
    label: str | None = None
    text: str | None = None
    volume: float | None = None


class TrackInfo(BaseModel):
    kind: str
    label: str
    segments: list[SegmentInfo]


class StateResult(Result):
    summary: str = Field(description='e.g. Timeline (2 tracks): 1. Video: beach (0-10s) 2. Title: "Hi" (0-3s)')
    tracks: list[TrackInfo]
    exportable: bool = Field(description="True when there is something to export.")
    uploads: int = Field(description="How many files this project has uploaded.")


class ExportInfo(BaseModel):
    path: str = Field(description="Absolute path of the MP4 on this machine.")
    url: str | None = Field(default=None, description="The backend's download URL.")
    task_link: str | None = Field(default=None, description="Opens the project in the NemoVideo web app.")
    render_id: str
    size_bytes: int
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None


class JobResult(Result):
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
    export: ExportInfo | None = None
    credits: CreditsResult | None = None
    state: StateResult | None = None
    uploads: list[UploadedFileInfo] = Field(default_factory=list)
    error_type: str | None = Field(default=None, description="Why a failed job failed (an error class name).")
    error_code: int | None = Field(default=None, description="The backend's error code or HTTP status, if any.")
    next_step: str | None = Field(default=None, description="What to do next, when the job is not done.")
    reused: bool = Field(
        default=False,
        description="Nothing of this request was sent: this is the project's earlier job, still being worked on "
        "(the message says whether it is this same request).",
    )


def job_result(job: Job, *, routed_to: list[str] | None = None, extra: dict[str, Any] | None = None) -> JobResult:
    """A job (finished or not) as a tool result."""
    result = job.result or {}
    data: dict[str, Any] = dict(extra or {})
    generate = job.kind is JobKind.GENERATE
    export_data = result.get("export") if generate else (result if result.get("path") else None)
    # Credits and the timeline asked for after the long work were read by the job itself.
    for name, model in (("credits", CreditsResult), ("state", StateResult)):
        if name not in data:
            data[name] = _model(model, result.get(name))
    if "uploads" not in data and _list(result.get("uploads")):
        data["uploads"] = [u for u in _list(result.get("uploads")) if isinstance(u, dict)]
    if job.status is JobStatus.RUNNING:
        status: Literal["done", "running", "failed"] = "running"
        lead = job.message or "Working on it…"
        message = f"{lead}\nStill running (job {job.id}); call the job tool with this id to keep waiting."
        next_step = f"Call job with job_id={job.id!r} (it waits up to wait_seconds) until status is done."
    elif job.status is JobStatus.FAILED:
        status = "failed"
        message = job.failure_text()
        next_step = None
    else:
        status = "done"
        message = _text(result.get("message")) or job.message or "Done."
        next_step = None
    prefix = data.pop("lead", None)
    if prefix:
        message = f"{prefix}\n\n{message}"
    error = job.error or {}
    return JobResult(
        status=status,
        job_id=job.id,
        kind="generate" if generate else "export",
        phase=job.phase,
        progress=job.progress,
        message=message,
        routed_to=routed_to or [],
        reply=_text(result.get("message")) if generate and status == "done" else None,
        timeline=_text(result.get("timeline")),
        changes=[line for line in _list(result.get("changes")) if isinstance(line, str)],
        question=_text(result.get("question")),
        recovered=result.get("recovered") is True,
        export=_export_info(export_data),
        error_type=_text(error.get("type")),
        error_code=error.get("code") if type(error.get("code")) is int else None,
        next_step=next_step,
        **data,
    )


_M = TypeVar("_M", bound=BaseModel)

# A job read back from disk may be damaged or hand-edited: a field of the wrong type is left out
# of the result instead of failing the tool call.


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _export_info(data: Any) -> ExportInfo | None:
    return _model(ExportInfo, data)


def _model(model: type[_M], data: Any) -> _M | None:
    if not isinstance(data, dict):
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None
