"""The output's frame: size, frame rate and length, from the draft's metadata and what its tracks cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kling_ai_30.local.media.render.errors import RenderError
from kling_ai_30.local.media.render.segments import MAX_DURATION_S, TRACK_KINDS, draft_tracks, meta, number
from kling_ai_30.local.media.render.sound import AUDIO_RATE

DEFAULT_CANVAS = (1920, 1080)
RATIO_CANVASES = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:3": (1440, 1080)}
MAX_CANVAS_SIDE = 4096
MAX_FPS = 60


@dataclass(frozen=True)
class Canvas:
    """The output frame: even width and height, frames per second, and how many frames."""

    width: int
    height: int
    fps: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    @property
    def samples(self) -> int:
        return round(self.duration_s * AUDIO_RATE)


def even(value: float) -> int:
    """The nearest even number, at least 2: YUV 4:2:0 needs even sides."""
    return max(2, 2 * round(value / 2))


def canvas_for(draft: Mapping[str, Any], *, max_height: int | None, fps: int | None) -> Canvas:
    """The output frame for a draft; RenderError when nothing in it has a duration."""
    if not isinstance(draft, Mapping):
        raise RenderError("invalid draft: expected a JSON object with tracks under 't'")
    m = meta(draft)
    width, height = number(m.get("width")), number(m.get("height"))
    if width is None or height is None or width < 2 or height < 2:
        ratio = m.get("ratio")
        width, height = RATIO_CANVASES.get(ratio if isinstance(ratio, str) else "", DEFAULT_CANVAS)
    scale = min(1.0, MAX_CANVAS_SIDE / max(width, height))
    if max_height is not None and max_height > 0:
        scale = min(scale, max_height / height)
    rate = fps if fps is not None else number(m.get("fps"))
    rate_i = max(1, min(MAX_FPS, round(rate))) if rate is not None and rate > 0 else 30
    ends = [span.end for kind, _, segs in draft_tracks(draft) if kind in TRACK_KINDS for _, span in segs]
    if not ends:
        raise RenderError("invalid draft: nothing to render (no video, audio or text segment with a duration)")
    draft_d = number(draft.get("d"))
    total = max([*ends, min(MAX_DURATION_S, draft_d / 1000) if draft_d else 0.0])
    return Canvas(
        width=even(width * scale), height=even(height * scale), fps=rate_i, frames=max(1, round(total * rate_i))
    )
