"""Video files on the timeline: decoded in step with the output, cover-fit, upright, at the segment's speed."""

from __future__ import annotations

from typing import Any

import numpy as np

from kling_ai_30.local.media.render.canvas import Canvas, even
from kling_ai_30.local.media.render.colour import Planes
from kling_ai_30.local.media.render.errors import RenderError


class Movie:
    """A video file decoded in step with the output: cover-fit, frames sampled at the output rate."""

    def __init__(self, container: Any, url: str, canvas: Canvas, speed: float) -> None:
        self.url = url
        self.w, self.h = canvas.width, canvas.height
        self.speed = speed
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        self.start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        self._frames = container.decode(stream)
        self._current: Any = None
        self._next: Any = self._advance()
        if self._next is None:
            raise RenderError(f"media has no decodable video frames: {url}")
        self._cached: tuple[Any, Planes] | None = None

    def _advance(self) -> Any:
        import av

        try:
            return next(self._frames)
        except StopIteration:
            return None
        except av.error.FFmpegError:
            return None  # a damaged tail: hold the last good frame rather than fail the render

    def _time(self, frame: Any) -> float:
        return (float(frame.time) if frame.time is not None else 0.0) - self.start

    def draw(self, t: float, into: Planes) -> None:
        target = t * self.speed
        while self._next is not None and (self._current is None or self._time(self._next) <= target + 1e-3):
            self._current, self._next = self._next, self._advance()
        frame = self._current
        if self._cached is None or self._cached[0] is not frame:
            self._cached = (frame, self._convert(frame))
        for dst, src in zip(into, self._cached[1], strict=True):
            np.copyto(dst, src)

    def _convert(self, frame: Any) -> Planes:
        quarter = round((frame.rotation or 0) / 90) % 4  # counter-clockwise quarter turns to display upright
        fw, fh = (frame.width, frame.height) if quarter % 2 == 0 else (frame.height, frame.width)
        cover = max(self.w / fw, self.h / fh)
        cw, ch = max(self.w, even(fw * cover)), max(self.h, even(fh * cover))
        sw, sh = (cw, ch) if quarter % 2 == 0 else (ch, cw)
        scaled = frame.reformat(width=sw, height=sh, format="yuv420p", interpolation="BILINEAR")
        planes = []
        for index, plane in enumerate(scaled.planes):
            rows = sh if index == 0 else sh // 2
            cols = sw if index == 0 else sw // 2
            data = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)[:rows, :cols]
            data = np.rot90(data, quarter) if quarter else data
            div = 1 if index == 0 else 2
            x0 = (cw - self.w) // 2 // 2 * 2 // div
            y0 = (ch - self.h) // 2 // 2 * 2 // div
            # A view into the scaled frame: `draw` copies it into the output, the one copy needed.
            planes.append(data[y0 : y0 + self.h // div, x0 : x0 + self.w // div])
        return planes[0], planes[1], planes[2]
