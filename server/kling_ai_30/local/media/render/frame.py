"""One output frame: a reusable YUV 4:2:0 buffer, and composing the timeline into it at a time.

Nothing of frame size is allocated per frame: pictures draw straight into the buffer, a picture
fading over another draws into a second buffer made once, and text mixes through one scratch
plane.
"""

from __future__ import annotations

import cv2
import numpy as np

from kling_ai_30.local.media.render.colour import BLACK, U8, Planes
from kling_ai_30.local.media.render.overlay import U16
from kling_ai_30.local.media.render.text import Text
from kling_ai_30.local.media.render.timeline import Timeline
from kling_ai_30.local.media.render.visual import Picture


def yuv420_planes(buf: U8, width: int, height: int) -> Planes:
    """Y, U and V as views of one buffer laid out the way `VideoFrame.from_numpy_buffer` expects."""
    flat = buf.reshape(-1)
    quarter = width * height // 4
    return (
        buf[:height],
        flat[width * height : width * height + quarter].reshape(height // 2, width // 2),
        flat[width * height + quarter :].reshape(height // 2, width // 2),
    )


class Frame:
    """The reusable YUV 4:2:0 buffer, with what composing needs beside it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.buf: U8 = np.empty((height * 3 // 2, width), np.uint8)
        self.y, self.u, self.v = yuv420_planes(self.buf, width, height)
        self._under: Planes | None = None  # where a picture fading over another is drawn
        self._sums: U16 = np.empty((height, width), np.uint16)  # text mixing

    @property
    def planes(self) -> Planes:
        return self.y, self.u, self.v

    def clear(self) -> None:
        for dst, value in zip(self.planes, BLACK, strict=True):
            dst.fill(value)

    def draw(self, picture: Picture, t: float) -> None:
        picture.draw(t, self.planes)

    def blend(self, picture: Picture, t: float, alpha: float) -> None:
        if self._under is None:
            self._under = yuv420_planes(np.empty_like(self.buf), self.width, self.height)
        picture.draw(t, self._under)
        for dst, src in zip(self.planes, self._under, strict=True):
            cv2.addWeighted(dst, 1 - alpha, src, alpha, 0.0, dst=dst)

    def overlay(self, text: Text, strength: float) -> None:
        for plane, layer in zip(self.planes, text.layers, strict=True):
            layer.apply(plane, strength, self._sums)


def compose(frame: Frame, timeline: Timeline, t: float) -> None:
    """Draw the timeline at `t` seconds into `frame`: the visible pictures, blended, then the text."""
    layers = [(v, v.alpha(t)) for v in timeline.visuals if v.span.start <= t < v.span.end]
    layers = [(v, a) for v, a in layers if a > 0]
    # Start from the topmost opaque layer: nothing under it can show through.
    base = max((i for i, (_, a) in enumerate(layers) if a >= 1), default=-1)
    if base >= 0:
        visual = layers[base][0]
        frame.draw(visual.picture, t - visual.span.start)
    else:
        frame.clear()
    for visual, a in layers[base + 1 :]:
        frame.blend(visual.picture, t - visual.span.start, a)
    for text in timeline.texts:
        if text.span.start <= t < text.span.end and (strength := text.strength(t)) > 0:
            frame.overlay(text, strength)
