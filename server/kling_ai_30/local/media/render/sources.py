"""The media behind the segments: resolved, opened once per file, and turned into pictures and sounds.

A segment without a file gets generated media, the local stand-in for AI imagery and music: a
backdrop for its prompt on a video track, music in its style on an audio track.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from kling_ai_30.local.media import music
from kling_ai_30.local.media.backdrop.painter import backdrop_image
from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.errors import RenderError
from kling_ai_30.local.media.render.movies import Movie
from kling_ai_30.local.media.render.segments import Span, fade_s, meta, speed_of, volume_of
from kling_ai_30.local.media.render.sound import AUDIO_END_FADE_S, AUDIO_RATE, Sound, decode_audio
from kling_ai_30.local.media.render.stills import KenBurns, motion_amount
from kling_ai_30.local.media.render.visual import Visual


class MediaSources:
    """Resolves and opens segment media, once per file."""

    def __init__(self, resolve: Callable[[str], Path | None], stack: contextlib.ExitStack) -> None:
        self._resolve = resolve
        self._stack = stack
        self._stills: dict[Path, Image.Image] = {}

    def path(self, url: str) -> Path:
        path = self._resolve(url)
        if path is None or not Path(path).is_file():
            raise RenderError(f"media not found: {url}")
        return Path(path)

    def visual(
        self, seg: Mapping[str, Any], span: Span, canvas: Canvas, title: str
    ) -> tuple[Visual | None, Sound | None]:
        m = meta(seg)
        motion = str(m.get("motion") or "none")
        speed = speed_of(m)
        fades = (fade_s(m, "fade_in_ms"), fade_s(m, "fade_out_ms"))
        src = seg.get("src")
        if not isinstance(src, str) or not src.strip():
            # No asset: a generated backdrop for the segment's prompt (the local stand-in for AI imagery).
            prompt = next(
                (str(m[k]) for k in ("prompt", "text", "name") if isinstance(m.get(k), str) and m[k].strip()), title
            )
            amount = 1 + motion_amount(span.duration, speed)
            still = backdrop_image(prompt, math.ceil(canvas.width * amount), math.ceil(canvas.height * amount))
            return Visual(span, KenBurns(still, canvas, motion, span.duration, speed), *fades), None
        path = self.path(src)
        image = self._still(path, src)
        if image is not None:
            return Visual(span, KenBurns(image, canvas, motion, span.duration, speed), *fades), None
        container = self._open(path, src)
        if not container.streams.video:
            samples = decode_audio(path, src, span.duration)
            if samples is None:
                raise RenderError(f"media holds no picture or sound: {src}")
            return None, Sound(span, samples, 1.0, *fades)  # an audio file on a video track: heard, not seen
        sound = None
        if container.streams.audio and speed == 1.0:  # re-timed footage plays silent, as editors do
            samples = decode_audio(path, src, span.duration)
            if samples is not None:
                sound = Sound(span, samples, 1.0, *fades)
        return Visual(span, Movie(container, src, canvas, speed), *fades), sound

    def sound(self, seg: Mapping[str, Any], span: Span) -> Sound:
        m = meta(seg)
        src = seg.get("src")
        fade_out = fade_s(m, "fade_out_ms") or AUDIO_END_FADE_S
        if not isinstance(src, str) or not src.strip():
            # No asset: procedural music in the style the segment names ("Lo-fi", "upbeat"…).
            style = next((str(m[k]) for k in ("style", "name") if isinstance(m.get(k), str)), "lo-fi")
            samples = music.music_samples(style, span.duration, sample_rate=AUDIO_RATE)
        else:
            decoded = decode_audio(self.path(src), src, span.duration)
            if decoded is None:
                raise RenderError(f"media has no audio stream: {src}")
            samples = decoded
        return Sound(span, samples, volume_of(m), fade_s(m, "fade_in_ms"), fade_out)

    def _still(self, path: Path, url: str) -> Image.Image | None:
        if path in self._stills:
            return self._stills[path]
        try:
            with Image.open(path) as opened:
                if getattr(opened, "is_animated", False):
                    return None  # animated GIF/WebP: decoded as video
                opened.load()
                image = ImageOps.exif_transpose(opened).convert("RGB")  # phone photos carry their rotation in EXIF
        except (OSError, SyntaxError, ValueError):
            return None  # not a picture Pillow knows; PyAV gets a go
        except Image.DecompressionBombError as exc:
            raise RenderError(f"image too large to render: {url}") from exc
        self._stills[path] = image
        return image

    def _open(self, path: Path, url: str) -> Any:
        import av

        try:
            container = av.open(str(path))
        except av.error.FFmpegError as exc:
            raise RenderError(f"media could not be decoded: {url} ({exc.strerror or type(exc).__name__})") from exc
        self._stack.callback(container.close)
        return container
