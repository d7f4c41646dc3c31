"""Stills on the timeline: slow, eased camera movement over a picture (Ken Burns), cover-fit and centred.

Each frame is one affine warp per plane (OpenCV's `warpAffine`, bilinear, sub-pixel) written
straight into the output frame: a 1080p frame costs ~1.5 ms where three Pillow box resizes cost
16-20 ms, for 54-61 dB PSNR between the two (`bench/bench_render.py` measures both).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.colour import U8, Planes, to_plane, yuv

F64 = NDArray[np.float64]


def ease(p: float) -> float:
    """Eased progress 0-1 for a camera move."""
    # Sine ease-in-out: the camera starts and stops gently and never jerks at a cut.
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, p)))


def motion_amount(duration_s: float, speed: float) -> float:
    """How far the camera travels over a segment, as a fraction of the frame."""
    # How far the camera travels: enough to read as movement on a short clip, and still slow on a
    # 30 s one (about 0.8 % of the frame per second at the longest).
    return min(0.25, 0.04 + 0.007 * duration_s) * speed


class KenBurns:
    """A still with slow, eased zoom or pan, cover-fit and centred."""

    def __init__(self, image: Image.Image, canvas: Canvas, motion: str, duration_s: float, speed: float) -> None:
        self.w, self.h = canvas.width, canvas.height
        self.motion = motion if motion in ("zoom_in", "zoom_out", "pan_left", "pan_right") else "none"
        self.duration = max(duration_s, 1e-6)
        self.amount = motion_amount(duration_s, speed) if self.motion != "none" else 0.0
        iw, ih = image.size
        cover = max(self.w / iw, self.h / ih)
        # Keep only as many source pixels as the closest zoom shows: per-frame resampling then
        # stays near 1:1 (fast and sharp) however large the upload is.
        work = min(1.0, cover * (1 + self.amount) * 1.02)
        if work < 1.0:
            size = (max(2, round(iw * work)), max(2, round(ih * work)))
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        self.iw, self.ih = image.size
        self.cover = max(self.w / self.iw, self.h / self.ih)
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
        y, u, v = yuv(rgb)
        ch, cw = max(1, self.ih // 2), max(1, self.iw // 2)
        self.y: U8 = np.asarray(to_plane(y))
        self.u: U8 = np.asarray(to_plane(u).resize((cw, ch), Image.Resampling.BOX))
        self.v: U8 = np.asarray(to_plane(v).resize((cw, ch), Image.Resampling.BOX))
        self.cscale = (cw / self.iw, ch / self.ih)
        # One 2x3 matrix per plane size, refilled each frame rather than allocated.
        self._luma_map: F64 = np.zeros((2, 3), np.float64)
        self._chroma_map: F64 = np.zeros((2, 3), np.float64)
        self._static: Planes | None = None

    def window(self, t: float) -> tuple[float, float, float, float]:
        """The part of the picture the camera shows at `t`: left, top, right, bottom in its pixels."""
        e = ease(t / self.duration)
        a = self.amount
        zoom = {"zoom_in": 1 + a * e, "zoom_out": 1 + a * (1 - e)}.get(self.motion, 1 + a)
        ww, wh = self.w / (self.cover * zoom), self.h / (self.cover * zoom)
        cx, cy = self.iw / 2, self.ih / 2
        if self.motion in ("pan_left", "pan_right"):
            travel = min(self.iw - ww, 2.5 * a * ww)
            # Panning right moves the view rightwards across the picture; left, the other way.
            cx += (e - 0.5) * travel * (1 if self.motion == "pan_right" else -1)
        x0 = min(max(cx - ww / 2, 0.0), self.iw - ww)
        y0 = min(max(cy - wh / 2, 0.0), self.ih - wh)
        return max(0.0, x0), max(0.0, y0), min(self.iw, x0 + ww), min(self.ih, y0 + wh)

    def draw(self, t: float, into: Planes) -> None:
        if self._static is not None:
            for dst, src in zip(into, self._static, strict=True):
                np.copyto(dst, src)
            return
        x0, y0, x1, y1 = self.window(t)
        sx, sy = self.cscale
        cw, ch = self.u.shape[1], self.u.shape[0]
        cbox = (x0 * sx, y0 * sy, min(cw, x1 * sx), min(ch, y1 * sy))
        luma, cu, cv = into
        _warp(self.y, (x0, y0, x1, y1), luma, self._luma_map)
        _warp(self.u, cbox, cu, self._chroma_map)
        _warp(self.v, cbox, cv, self._chroma_map)
        if self.motion == "none":
            self._static = (luma.copy(), cu.copy(), cv.copy())


def _warp(source: U8, box: tuple[float, float, float, float], into: U8, matrix: F64) -> None:
    """Resample `box` of `source` (float edges: sub-pixel camera positions) to fill `into`, bilinear."""
    x0, y0, x1, y1 = box
    out_h, out_w = into.shape
    sx, sy = (x1 - x0) / out_w, (y1 - y0) / out_h
    # Output pixel centres onto source pixel centres, as Pillow's box resize does: a slow move
    # glides instead of stepping, and frames match the earlier resize-based renderer.
    matrix[0, 0], matrix[0, 2] = sx, x0 + 0.5 * sx - 0.5
    matrix[1, 1], matrix[1, 2] = sy, y0 + 0.5 * sy - 0.5
    cv2.warpAffine(
        source,
        matrix,
        (out_w, out_h),
        dst=into,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,  # edge pixels, never black, where a box touches the border
    )
