"""A small still of an exported video (a JPEG of a few KB), so the assistant can see what it made.

An export's result carries it as image content in every client, where PyAV and Pillow are installed
(the ``local`` extra); without them, or for a file they cannot read, the result is as before. The
still is taken a second in (or half-way through a shorter clip): the first frame is often the
black start of a fade.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)

POSTER_MAX_SIDE = 320  # px: enough to recognise the picture, small enough to cost the model little
POSTER_JPEG_QUALITY = 70
POSTER_AT_S = 1.0


def poster_jpeg(video: Path) -> bytes | None:
    """The still of ``video`` as JPEG bytes, or None (no PyAV/Pillow, or an unreadable file)."""
    try:
        info = video.stat()
    except OSError:
        return None
    return _poster(str(video), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=16)  # `job` reports a finished export again on every call
def _poster(path: str, size: int, mtime_ns: int) -> bytes | None:
    try:
        import av
        from PIL import Image
    except ImportError:
        return None
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            length, time_base = stream.duration, stream.time_base
            duration = float(length * time_base) if length is not None and time_base is not None else 2 * POSTER_AT_S
            at = min(POSTER_AT_S, duration / 2)
            still: Image.Image | None = None
            for frame in container.decode(stream):
                still = frame.to_image()  # type: ignore[no-untyped-call]  # PyAV's stub leaves it untyped
                if frame.time is not None and frame.time >= at:
                    break
    except (av.FFmpegError, OSError, IndexError, ValueError) as exc:
        log.info("no poster for %s: %s", path, exc)
        return None
    if still is None:
        return None
    still.thumbnail((POSTER_MAX_SIDE, POSTER_MAX_SIDE))
    out = io.BytesIO()
    still.convert("RGB").save(out, format="JPEG", quality=POSTER_JPEG_QUALITY, optimize=True)
    return out.getvalue()
