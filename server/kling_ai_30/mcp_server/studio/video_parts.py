"""An exported MP4 in bounded parts: how the video reaches the view in the host's sandbox.

The view has no network (its CSP declares no origin) and must not be frozen by a large file, so it
reads the MP4 one ``STUDIO_CHUNK_BYTES`` part at a time, through ``resources/read`` where the host
relays resource reads, else through an app-only tool; both read here. Only a video that the
caller's own project exported can be read, by its render id; any other id answers exactly like an
unknown one, so a client cannot learn what other projects made.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ...policy import STUDIO_CHUNK_BYTES

RENDER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass(frozen=True)
class VideoPart:
    data: bytes
    part: int
    parts: int
    size_bytes: int


def unknown_video(render_id: str) -> InputError:
    """The one answer for an id that is not a video of the caller's project, whatever the reason."""
    return InputError(f"No exported video {render_id[:80]!r} in this project: export the video again to play it here.")


def check_render_id(render_id: str) -> str:
    if not RENDER_ID.match(render_id):
        raise unknown_video(render_id)
    return render_id


def read_part(path: Path, render_id: str, part: int) -> VideoPart:
    """Part ``part`` of the MP4 at ``path``: a seek and one bounded read, never the whole file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise unknown_video(render_id) from None
    with os.fdopen(descriptor, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        parts = max(1, -(-size // STUDIO_CHUNK_BYTES))
        if not 0 <= part < parts:
            raise InputError(f"Video {render_id[:80]!r} has {parts} parts (0 to {parts - 1}); part {part} is not one.")
        handle.seek(part * STUDIO_CHUNK_BYTES)
        data = handle.read(STUDIO_CHUNK_BYTES)
    return VideoPart(data=data, part=part, parts=parts, size_bytes=size)
