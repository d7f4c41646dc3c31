"""A picture placed on the timeline: its span and fades, over any source that draws planes for a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kling_ai_30.local.media.render.colour import Planes
from kling_ai_30.local.media.render.segments import Span


class Picture(Protocol):
    """A source of frames: a still with camera movement, or a decoded video file."""

    def draw(self, t: float, into: Planes) -> None:
        """Write Y, U, V covering the canvas, `t` seconds into the segment, into the given planes."""
        ...


@dataclass
class Visual:
    """A picture on the timeline: when it shows, and how it fades in and out."""

    span: Span
    picture: Picture
    fade_in: float
    fade_out: float

    def alpha(self, t: float) -> float:
        a = 1.0
        if self.fade_in > 0:
            a = min(a, (t - self.span.start) / self.fade_in)
        if self.fade_out > 0:
            a = min(a, (self.span.end - t) / self.fade_out)
        return max(0.0, min(1.0, a))
