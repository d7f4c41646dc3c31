"""One output frame: a reusable YUV 4:2:0 buffer, and composing the timeline into it at a time."""

from __future__ import annotations

import numpy as np

from kling_ai_30.local.media.render.colour import BLACK, U8, Planes
from kling_ai_30.local.media.render.text import Text
from kling_ai_30.local.media.render.timeline import Timeline


class Frame:
    """The reusable YUV 4:2:0 buffer, laid out the way `VideoFrame.from_ndarray` expects."""

    def __init__(self, width: int, height: int) -> None:
        self.buf: U8 = np.empty((height * 3 // 2, width), np.uint8)
        flat = self.buf.reshape(-1)
        quarter = width * height // 4
        self.y = self.buf[:height]
        self.u = flat[width * height : width * height + quarter].reshape(height // 2, width // 2)
        self.v = flat[width * height + quarter :].reshape(height // 2, width // 2)

    @property
    def planes(self) -> Planes:
        return self.y, self.u, self.v

    def fill(self, source: Planes) -> None:
        for dst, src in zip(self.planes, source, strict=True):
            dst[...] = src

    def clear(self) -> None:
        for dst, value in zip(self.planes, BLACK, strict=True):
            dst.fill(value)

    def blend(self, source: Planes, alpha: float) -> None:
        # 8-bit fixed point: exact enough for a fade and several times faster than float.
        a = np.uint16(round(alpha * 256))
        for dst, src in zip(self.planes, source, strict=True):
            dst[...] = ((dst.astype(np.uint16) * (256 - a) + src.astype(np.uint16) * a + 128) >> 8).astype(np.uint8)

    def overlay(self, text: Text, strength: float) -> None:
        h, w = text.alpha.shape
        for dst, colour, alpha, div in (
            (self.y, text.luma, text.alpha, 1),
            (self.u, text.chroma_u, text.alpha_half, 2),
            (self.v, text.chroma_v, text.alpha_half, 2),
        ):
            x, y = text.x // div, text.y // div
            region = dst[y : y + h // div, x : x + w // div]
            a = alpha if strength >= 1 else alpha * np.float32(strength)
            mixed = region.astype(np.float32)
            mixed += (colour - mixed) * a
            region[...] = (mixed + 0.5).astype(np.uint8)


def compose(frame: Frame, timeline: Timeline, t: float) -> None:
    """Draw the timeline at `t` seconds into `frame`: the visible pictures, blended, then the text."""
    layers = [(v, v.alpha(t)) for v in timeline.visuals if v.span.start <= t < v.span.end]
    layers = [(v, a) for v, a in layers if a > 0]
    # Start from the topmost opaque layer: nothing under it can show through.
    base = max((i for i, (_, a) in enumerate(layers) if a >= 1), default=-1)
    if base >= 0:
        visual = layers[base][0]
        frame.fill(visual.picture.planes(t - visual.span.start))
    else:
        frame.clear()
    for visual, a in layers[base + 1 :]:
        frame.blend(visual.picture.planes(t - visual.span.start), a)
    for text in timeline.texts:
        if text.span.start <= t < text.span.end and (strength := text.strength(t)) > 0:
            frame.overlay(text, strength)
