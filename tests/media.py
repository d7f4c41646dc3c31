"""Small helpers to make and check real media files in tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Probe:
    video_codec: str | None
    audio_codec: str | None
    width: int
    height: int
    duration_s: float


def probe(path: Path) -> Probe:
    """Decode ``path``'s headers with PyAV: what a player would see."""
    with av.open(str(path)) as container:
        video = next((s for s in container.streams if s.type == "video"), None)
        audio = next((s for s in container.streams if s.type == "audio"), None)
        duration = (container.duration or 0) / 1_000_000
        return Probe(
            video_codec=video.codec_context.name if video else None,
            audio_codec=audio.codec_context.name if audio else None,
            width=video.codec_context.width if video else 0,
            height=video.codec_context.height if video else 0,
            duration_s=duration,
        )


def make_image(path: Path, prompt: str = "mountain landscape", size: tuple[int, int] = (320, 180)) -> Path:
    from kling_ai_30.local.media.backdrop.painter import make_backdrop

    return make_backdrop(prompt, size[0], size[1], path)
