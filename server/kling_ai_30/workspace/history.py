"""What a person made, and where it is: their recent jobs and delivered videos, and their projects.

Read from this machine's own records (the jobs and the projects), never from the backend, so it
answers offline, instantly and for free — and a job id that scrolled out of the conversation is
never lost work: ``history`` shows it, with the MP4's path and whether the file is still there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ..jobs.job import Job, JobKind
from ..results import View
from .projects import ProjectRecord


class HistoryEntry(BaseModel):
    job_id: str
    kind: str = Field(description="generate or export")
    project: str
    status: str = Field(description="done, running or failed")
    asked: str = Field(description="What was asked, in the user's words.")
    created_at: str = Field(description="When it was asked (local time, ISO 8601).")
    updated_at: str = Field(description="When it last changed.")
    credits_spent: int | None = Field(default=None, description="Credits the job used, when known.")
    video: str | None = Field(default=None, description="The delivered MP4's absolute path.")
    video_exists: bool | None = Field(default=None, description="Whether that file is still there.")
    task_link: str | None = Field(default=None, description="Opens the project in the NemoVideo web app.")


class HistoryView(View):
    entries: list[HistoryEntry] = Field(description="Newest first.")


class ProjectInfo(BaseModel):
    name: str
    current: bool = Field(description="Requests without a project name go here.")
    created_at: str
    updated_at: str
    videos: int = Field(description="How many videos were delivered from it.")
    last_video: str | None = Field(default=None, description="The latest delivered MP4's path.")


class ProjectsView(View):
    projects: list[ProjectInfo]
    current: str = Field(description="The project used when none is named.")


def history_view(jobs: Sequence[Job], *, limit: int) -> HistoryView:
    entries = [_entry(job) for job in sorted(jobs, key=lambda j: j.created_at, reverse=True)[:limit]]
    if not entries:
        return HistoryView(message="Nothing made yet: no jobs on record here.", entries=[])
    lines = [f"Recent work ({len(entries)}):", *(_line(entry) for entry in entries)]
    return HistoryView(message="\n".join(lines), entries=entries)


def projects_view(records: Sequence[ProjectRecord], current: str) -> ProjectsView:
    infos = [
        ProjectInfo(
            name=record.name,
            current=record.name == current,
            created_at=_when(record.created_at),
            updated_at=_when(record.updated_at),
            videos=len(record.exports),
            last_video=record.exports[-1].path if record.exports else None,
        )
        for record in sorted(records, key=lambda r: r.updated_at, reverse=True)
    ]
    if not infos:
        message = f"No projects yet; the first request starts {current!r}."
    else:
        lines = [
            f"{'▶' if info.current else ' '} {info.name} — {info.videos} video(s), last used {info.updated_at}"
            for info in infos
        ]
        message = "Your projects (▶ is used when none is named):\n" + "\n".join(lines)
    return ProjectsView(message=message, projects=infos, current=current)


def _entry(job: Job) -> HistoryEntry:
    export = job.result.export if job.result is not None else None
    return HistoryEntry(
        job_id=job.id,
        kind=job.kind.value,
        project=job.project,
        status=job.status.value,
        asked=_asked(job),
        created_at=_when(job.created_at),
        updated_at=_when(job.updated_at),
        credits_spent=job.credits_spent,
        video=export.path if export is not None else None,
        video_exists=Path(export.path).is_file() if export is not None else None,
        task_link=export.task_link if export is not None else None,
    )


def _asked(job: Job) -> str:
    if job.request.message:
        return job.request.message
    if job.kind is JobKind.EXPORT:
        return "export"
    return ", ".join(job.request.routed_to) or "request"


def _line(entry: HistoryEntry) -> str:
    asked = entry.asked if len(entry.asked) <= 60 else entry.asked[:59] + "…"
    spent = f" · {entry.credits_spent} credits" if entry.credits_spent else ""
    video = ""
    if entry.video is not None:
        video = f"\n    🎬 {entry.video}" + ("" if entry.video_exists else " (no longer there)")
    return f"- {entry.job_id} · {entry.status} · {entry.created_at}{spent} · “{asked}”{video}"


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
