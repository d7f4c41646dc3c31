"""The renderer's frames as they were before the warp, kept here only to measure the new ones against.

Until issue 16 every frame of a still was three Pillow bilinear box resizes (Y, U, V) of the
picture's planes, fades mixed in 8-bit fixed point and text in float. This module composes a frame
that way from the same timeline, so `bench_render.py` can report the PSNR of today's frames
against these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.colour import BLACK, U8, Planes
from kling_ai_30.local.media.render.frame import yuv420_planes
from kling_ai_30.local.media.render.segments import TEXT_TRACK, draft_tracks
from kling_ai_30.local.media.render.stills import KenBurns
from kling_ai_30.local.media.render.text import PlacedText, place_text
from kling_ai_30.local.media.render.timeline import Timeline


@dataclass(frozen=True)
class StillImages:
    """A still's planes as Pillow images, made once, as the earlier renderer kept them."""

    y: Image.Image
    u: Image.Image
    v: Image.Image

    @classmethod
    def of(cls, still: KenBurns) -> StillImages:
        return cls(Image.fromarray(still.y, "L"), Image.fromarray(still.u, "L"), Image.fromarray(still.v, "L"))


def still_planes(still: KenBurns, images: StillImages, t: float) -> Planes:
    """The earlier renderer's planes for a still at `t`: three bilinear box resizes."""
    x0, y0, x1, y1 = still.window(t)
    sx, sy = still.cscale
    cw, ch = images.u.size
    cbox = (x0 * sx, y0 * sy, min(cw, x1 * sx), min(ch, y1 * sy))
    bilinear = Image.Resampling.BILINEAR
    return (
        np.asarray(images.y.resize((still.w, still.h), bilinear, box=(x0, y0, x1, y1))),
        np.asarray(images.u.resize((still.w // 2, still.h // 2), bilinear, box=cbox)),
        np.asarray(images.v.resize((still.w // 2, still.h // 2), bilinear, box=cbox)),
    )


def blend(frame: Planes, source: Planes, alpha: float) -> None:
    a = np.uint16(round(alpha * 256))
    for dst, src in zip(frame, source, strict=True):
        dst[...] = ((dst.astype(np.uint16) * (256 - a) + src.astype(np.uint16) * a + 128) >> 8).astype(np.uint8)


def overlay(frame: Planes, text: PlacedText, strength: float) -> None:
    h, w = text.alpha.shape
    for dst, colour, alpha, div in (
        (frame[0], text.luma, text.alpha, 1),
        (frame[1], text.chroma_u, text.alpha_half, 2),
        (frame[2], text.chroma_v, text.alpha_half, 2),
    ):
        x, y = text.x // div, text.y // div
        region = dst[y : y + h // div, x : x + w // div]
        a = alpha if strength >= 1 else alpha * np.float32(strength)
        mixed = region.astype(np.float32)
        mixed += (colour - mixed) * a
        region[...] = (mixed + 0.5).astype(np.uint8)


class FramesBefore:
    """Composes frames of a draft made only of stills and text the way the earlier renderer did."""

    def __init__(self, draft: Mapping[str, Any], timeline: Timeline, canvas: Canvas) -> None:
        self.timeline, self.canvas = timeline, canvas
        self.images: dict[int, StillImages] = {}
        for visual in timeline.visuals:
            if not isinstance(visual.picture, KenBurns):
                raise ValueError("the earlier renderer is kept here for stills only")
            self.images[id(visual.picture)] = StillImages.of(visual.picture)
        # The same text segments, in the same order, that Timeline.build turned into overlays.
        placed: list[PlacedText] = []
        for kind, track_meta, segments in draft_tracks(draft):
            if kind == TEXT_TRACK:
                name = str(track_meta.get("name") or "")
                placed.extend(p for seg, _ in segments if (p := place_text(seg, canvas, name)) is not None)
        self.placed: Sequence[PlacedText] = placed

    def _planes(self, still: KenBurns, t: float) -> Planes:
        return still_planes(still, self.images[id(still)], t)

    def frame(self, t: float) -> U8:
        """The earlier renderer's frame at `t` seconds, as one YUV 4:2:0 buffer."""
        buf = np.empty((self.canvas.height * 3 // 2, self.canvas.width), np.uint8)
        planes = yuv420_planes(buf, self.canvas.width, self.canvas.height)
        layers = [(v, v.alpha(t)) for v in self.timeline.visuals if v.span.start <= t < v.span.end]
        layers = [(v, a) for v, a in layers if a > 0]
        base = max((i for i, (_, a) in enumerate(layers) if a >= 1), default=-1)
        if base >= 0:
            visual = layers[base][0]
            assert isinstance(visual.picture, KenBurns)
            for dst, src in zip(planes, self._planes(visual.picture, t - visual.span.start), strict=True):
                dst[...] = src
        else:
            for dst, value in zip(planes, BLACK, strict=True):
                dst.fill(value)
        for visual, a in layers[base + 1 :]:
            assert isinstance(visual.picture, KenBurns)
            blend(planes, self._planes(visual.picture, t - visual.span.start), a)
        for text, placed in zip(self.timeline.texts, self.placed, strict=True):
            if text.span.start <= t < text.span.end and (strength := text.strength(t)) > 0:
                overlay(planes, placed, strength)
        return buf
