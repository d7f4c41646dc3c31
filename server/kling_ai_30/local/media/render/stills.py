"""Stills on the timeline: slow, eased camera movement over a picture (Ken Burns), cover-fit and centred."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.colour import Planes, to_plane, yuv


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
        self.y = to_plane(y)
        ch, cw = max(1, self.ih // 2), max(1, self.iw // 2)
        self.u = to_plane(u).resize((cw, ch), Image.Resampling.BOX)
        self.v = to_plane(v).resize((cw, ch), Image.Resampling.BOX)
        self.cscale = (cw / self.iw, ch / self.ih)
        self._static: Planes | None = None

    def _window(self, t: float) -> tuple[float, float, float, float]:
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

    def planes(self, t: float) -> Planes:
        if self.motion == "none" and self._static is not None:
            return self._static
        x0, y0, x1, y1 = self._window(t)
        sx, sy = self.cscale
        cw, ch = self.u.size
        cbox = (x0 * sx, y0 * sy, min(cw, x1 * sx), min(ch, y1 * sy))
        # Float boxes give sub-pixel camera positions: a slow move glides instead of stepping.
        bilinear = Image.Resampling.BILINEAR
        out = (
            np.asarray(self.y.resize((self.w, self.h), bilinear, box=(x0, y0, x1, y1))),
            np.asarray(self.u.resize((self.w // 2, self.h // 2), bilinear, box=cbox)),
            np.asarray(self.v.resize((self.w // 2, self.h // 2), bilinear, box=cbox)),
        )
        if self.motion == "none":
            self._static = out
        return out
