"""What the actions come to, as the user sees them: one declaration of each result.

A result is made once, where the work is done (a reply, a timeline read, a balance, an upload, an
export), kept in the job that did it (persisted with ``model_dump`` / ``model_validate``), and read
by both front ends: the MCP tools publish these models as their output schemas, the command line
prints their ``message`` (or their JSON). Every one carries ``message``, text ready to show: never
the backend's raw JSON, never a token (none of their inputs holds one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from . import timeline
from .client.models import Credits, SessionState, UploadedFile, UploadResult

if TYPE_CHECKING:
    from .conversation.turn import Reply


class View(BaseModel):
    """A result with the text to show. Strict: what we publish is what we declared."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="What to tell the user, ready to show.")


class ReplyView(View):
    """What one message to the video assistant came to."""

    silent: bool = Field(default=False, description="The backend sent no text; the message says what changed.")
    changes: list[str] = Field(default_factory=list, description="What changed, one line each.")
    timeline: str | None = Field(default=None, description="Timeline summary after the change.")
    question: str | None = Field(default=None, description="The backend asks this before it can go on.")
    recovered: bool = Field(
        default=False,
        description="The connection dropped; the outcome was read from the project (nothing was sent twice).",
    )
    raw_video: str | None = Field(default=None, description="Two-stage generation: the raw clip, reported early.")

    @classmethod
    def of(cls, reply: Reply) -> ReplyView:
        return cls(
            message=reply.text,
            silent=reply.silent,
            changes=timeline.describe_changes(reply.changes).splitlines() if reply.changes else [],
            timeline=timeline.summarize(reply.state.state.draft),
            question=reply.question,
            recovered=reply.recovered,
            raw_video=reply.raw_video,
        )


class SegmentView(BaseModel):
    start_s: float
    end_s: float
    label: str | None = None
    text: str | None = None
    volume: float | None = None


class TrackView(BaseModel):
    kind: str = Field(description="video, audio or text")
    label: str
    segments: list[SegmentView]


class StateView(View):
    """§3.4: the timeline."""

    summary: str = Field(description='e.g. Timeline (2 tracks): 1. Video: beach (0-10s) 2. Title: "Hi" (0-3s)')
    tracks: list[TrackView]
    exportable: bool = Field(description="True when there is something to export.")
    uploads: int = Field(description="How many files this project has uploaded.")

    @classmethod
    def of(cls, state: SessionState) -> StateView:
        draft = state.state.draft
        summary = timeline.summarize(draft)
        return cls(
            message=summary,
            summary=summary,
            exportable=timeline.is_exportable(draft),
            tracks=[
                TrackView(
                    kind=track.kind.value,
                    label=track.label,
                    segments=[
                        SegmentView(
                            start_s=seg.start_ms / 1000,
                            end_s=seg.end_ms / 1000,
                            label=seg.label,
                            text=seg.text,
                            volume=seg.volume,
                        )
                        for seg in track.segments
                    ],
                )
                for track in timeline.read_tracks(draft)
            ],
            uploads=len(state.state.video_infos),
        )


class CreditsView(View):
    """§3.3: the balance."""

    available: int
    frozen: int = Field(description="Reserved for work in progress.")
    total: int

    @classmethod
    def of(cls, credits: Credits) -> CreditsView:
        total = credits.total if credits.total is not None else credits.available + credits.frozen
        return cls(message=credits.describe(), available=credits.available, frozen=credits.frozen, total=total)


class UploadView(View):
    """§3.2: what the backend made of the upload."""

    # The wire model itself: tolerant of the fields the backend adds, so the user sees them too.
    files: list[UploadedFile] = Field(description="The uploaded file(s) as the backend described them.")

    @classmethod
    def of(cls, result: UploadResult) -> UploadView:
        lines = []
        for f in result.files:
            size = f" {f.width}×{f.height}" if f.width and f.height else ""
            length = f", {f.duration:.1f} s" if f.duration else ""
            lines.append(f"✅ Uploaded {f.filename or 'file'} ({f.file_type or 'media'}{size}{length})")
        message = "\n".join(lines) or "The backend accepted the upload but listed no files."
        return cls(message=message, files=list(result.files))


class ExportView(View):
    """§3.5: the delivered MP4."""

    path: str = Field(description="Absolute path of the MP4 on this machine.")
    url: str | None = Field(default=None, description="The backend's download URL.")
    task_link: str | None = Field(default=None, description="Opens the project in the NemoVideo web app.")
    render_id: str
    size_bytes: int
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None


class Failure(BaseModel):
    """Why something failed, as data: the error class, the backend's code, the sentence to show."""

    type: str
    code: int | None = None
    message: str
