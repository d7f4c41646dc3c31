"""What the actions' results look like to the user: plain data with a ``message`` ready to show.

Shared by the jobs' results, the MCP tools and the CLI. Text the user can read, never the
backend's raw JSON, and never a token (none of these inputs holds one).
"""

from __future__ import annotations

from typing import Any

from .. import timeline
from ..client.models import Credits, SessionState, UploadResult
from ..conversation.turn import Reply


def reply_result(reply: Reply) -> dict[str, Any]:
    """A conversation reply as a job result (no raw JSON, no tokens: text the user can read)."""
    return {
        "message": reply.text,
        "silent": reply.silent,
        "changes": [line for line in timeline.describe_changes(reply.changes).splitlines() if reply.changes],
        "timeline": timeline.summarize(reply.state.state.draft),
        "question": reply.question,
        "recovered": reply.recovered,
        "raw_video": reply.raw_video,
    }


def state_view(state: SessionState) -> dict[str, Any]:
    draft = state.state.draft
    tracks = timeline.read_tracks(draft)
    return {
        "summary": timeline.summarize(draft),
        "exportable": timeline.is_exportable(draft),
        "tracks": [
            {
                "kind": track.kind.value,
                "label": track.label,
                "segments": [
                    {
                        "start_s": seg.start_ms / 1000,
                        "end_s": seg.end_ms / 1000,
                        "label": seg.label,
                        "text": seg.text,
                        "volume": seg.volume,
                    }
                    for seg in track.segments
                ],
            }
            for track in tracks
        ],
        "uploads": len(state.state.video_infos),
        "message": timeline.summarize(draft),
    }


def credits_view(credits: Credits) -> dict[str, Any]:
    return {
        "available": credits.available,
        "frozen": credits.frozen,
        "total": credits.total,
        "message": credits.describe(),
    }


def upload_message(result: UploadResult) -> str:
    lines = []
    for f in result.files:
        size = f" {f.width}×{f.height}" if f.width and f.height else ""
        length = f", {f.duration:.1f} s" if f.duration else ""
        lines.append(f"✅ Uploaded {f.filename or 'file'} ({f.file_type or 'media'}{size}{length})")
    return "\n".join(lines) or "The backend accepted the upload but listed no files."
