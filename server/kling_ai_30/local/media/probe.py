"""Probing media files: kind, size, duration and frame rate from the headers, never a full decode.

Pillow reads stills and PyAV audio and video, both imported lazily so the backend starts fast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """What a media file is: the documented upload fields plus whether it could be read at all."""

    kind: str  # image | video | audio
    width: int = 0
    height: int = 0
    duration: float = 0.0
    fps: float = 0.0
    readable: bool = True
    description: str = ""  # what the picture shows, when the backdrop generator painted it (never guessed)


def probe(path: Path, declared: str) -> Probe:
    """Read dimensions, duration and frame rate from the headers; unreadable files get zeros."""
    attempts = ("image", "av") if declared == "image" else ("av", "image")
    for attempt in attempts:
        try:
            return _probe_image(path) if attempt == "image" else _probe_av(path)
        except Exception as exc:  # any decoder error means "not this kind"
            logger.debug("probe of %s as %s failed: %s", path.name, attempt, exc)
    return Probe(kind=declared, readable=False)


def _probe_image(path: Path) -> Probe:
    from PIL import Image

    from kling_ai_30.local.media.backdrop.label import painted_description

    with Image.open(path) as image:
        width, height = image.size
        description = painted_description(image)
    return Probe(kind="image", width=int(width), height=int(height), description=description)


def _probe_av(path: Path) -> Probe:
    import av

    with av.open(str(path)) as container:
        duration = float(container.duration) / 1_000_000 if container.duration else 0.0
        if container.streams.video:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate
            if not duration and stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            return Probe(
                kind="video",
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                duration=round(duration, 3),
                fps=round(float(rate), 3) if rate else 0.0,
            )
        if container.streams.audio:
            return Probe(kind="audio", duration=round(duration, 3))
    raise ValueError("no audio or video stream")
