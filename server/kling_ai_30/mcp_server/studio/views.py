"""What the studio's app-only tools return: structured content for the view, a short text for logs."""

from __future__ import annotations

from pydantic import Field

from ...client.models import UploadedFile
from ...results import View


class DroppedFileView(View):
    """One chunk of a dropped file received; with the last one, what the backend made of the file."""

    received_bytes: int
    total_bytes: int
    done: bool = Field(description="The whole file arrived and was uploaded into the project.")
    files: list[UploadedFile] = Field(default_factory=list, description="With done: as ``upload`` returns them.")


class VideoPartView(View):
    """One part of an exported MP4, for a host that lets its views call tools but not read resources."""

    render_id: str
    part: int
    parts: int
    size_bytes: int = Field(description="The whole MP4's size.")
    mime_type: str = "video/mp4"
    data: str = Field(description="This part's bytes, base64.")
