"""Text overlays: titles, subtitles and captions, rasterised once with outline and shadow, faded in and out."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFilter

from kling_ai_30.local.media import fonts
from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.colour import F32, half, yuv
from kling_ai_30.local.media.render.overlay import Layer
from kling_ai_30.local.media.render.segments import Span, meta

TEXT_FADE_S = 0.3
TEXT_STYLES = {
    # style: (size as a fraction of the canvas's shorter side, default position, max lines)
    "title": (0.09, "center", 3),
    "subtitle": (0.05, "bottom", 3),
    "caption": (0.042, "bottom", 4),
}


@dataclass(frozen=True)
class PlacedText:
    """Text rasterised and placed: Y and its coverage at (x, y) on the canvas, U, V and theirs at half size."""

    x: int
    y: int
    luma: F32
    alpha: F32
    chroma_u: F32
    chroma_v: F32
    alpha_half: F32


@dataclass
class Text:
    """One text overlay, rasterised and precomposed once: its Y, U and V layers, and its fade."""

    span: Span
    layers: tuple[Layer, Layer, Layer]
    fade: float

    def strength(self, t: float) -> float:
        if self.fade <= 0:
            return 1.0
        return max(0.0, min(1.0, (t - self.span.start) / self.fade, (self.span.end - t) / self.fade))


def text_colour(value: object) -> tuple[float, float, float, float]:
    """RGBA from a CSS colour string; white for anything else."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            rgb = ImageColor.getrgb(value.strip())
            return (float(rgb[0]), float(rgb[1]), float(rgb[2]), float(rgb[3]) / 255 if len(rgb) > 3 else 1.0)
    return (255.0, 255.0, 255.0, 1.0)


def wrap_lines(text: str, font: fonts.Font, max_width: float) -> list[str]:
    """Break text into lines no wider than `max_width`."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [text]:
        # CJK text breaks between any two characters; other text between words.
        tokens = list(paragraph) if fonts.needs_cjk(paragraph) else paragraph.split(" ")
        sep = "" if fonts.needs_cjk(paragraph) else " "
        line = ""
        for token in tokens:
            candidate = f"{line}{sep}{token}" if line else token
            if line and font.getlength(candidate) > max_width:
                lines.append(line)
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line)
    return [line for line in lines if line.strip()] or [text.strip()]


def text_layer(segment: Mapping[str, Any], span: Span, canvas: Canvas, track_name: str) -> Text | None:
    """The overlay for a text segment, placed on the canvas; None when it has no text or no room."""
    placed = place_text(segment, canvas, track_name)
    if placed is None:
        return None
    x, y = placed.x, placed.y
    return Text(
        span=span,
        layers=(
            Layer.of(placed.luma, placed.alpha, x, y),
            Layer.of(placed.chroma_u, placed.alpha_half, x // 2, y // 2),
            Layer.of(placed.chroma_v, placed.alpha_half, x // 2, y // 2),
        ),
        fade=min(TEXT_FADE_S, span.duration / 3),
    )


def place_text(segment: Mapping[str, Any], canvas: Canvas, track_name: str) -> PlacedText | None:
    """A text segment rasterised in its style and placed on the canvas; None when it has no text or no room."""
    m = meta(segment)
    raw = m.get("text", segment.get("text"))
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    style = m.get("style")
    if style not in TEXT_STYLES:
        style = "subtitle" if track_name.lower() in ("subtitle", "subtitles", "caption", "captions") else "title"
    size_frac, default_pos, max_lines = TEXT_STYLES[style]
    position = str(m.get("position")) if m.get("position") in ("center", "bottom", "top") else default_pos
    short = min(canvas.width, canvas.height)
    max_width = canvas.width * (0.86 if style == "title" else 0.9)
    size = max(6, round(short * size_frac))
    font = fonts.load_font(size, text)
    lines = wrap_lines(text, font, max_width)
    # Shrink until the text fits: long words and long titles must stay on screen.
    while size > 6 and (len(lines) > max_lines or max(font.getlength(line) for line in lines) > max_width):
        size = max(6, round(size * 0.88))
        font = fonts.load_font(size, text)
        lines = wrap_lines(text, font, max_width)
    rgba = text_colour(m.get("color"))
    luma, chroma_u, chroma_v, alpha = raster_text(lines, font, size, style, rgba)
    h, w = alpha.shape
    margin = canvas.height * (0.1 if canvas.height > canvas.width else 0.07)
    x = (canvas.width - w) // 2
    y = {"top": margin, "bottom": canvas.height - margin - h, "center": (canvas.height - h) / 2}[position]
    x, y = x // 2 * 2, int(y) // 2 * 2  # even offsets keep the 4:2:0 chroma aligned
    # Clip to the canvas: text larger than a tiny preview canvas is cropped, not an error.
    cx0, cy0 = max(0, -x), max(0, -y)
    cx1, cy1 = min(w, canvas.width - x), min(h, canvas.height - y)
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return None
    cx1, cy1 = cx0 + (cx1 - cx0) // 2 * 2, cy0 + (cy1 - cy0) // 2 * 2
    crop = (slice(cy0, cy1), slice(cx0, cx1))
    luma, chroma_u, chroma_v, alpha = luma[crop], chroma_u[crop], chroma_v[crop], alpha[crop]
    return PlacedText(
        x=x + cx0,
        y=y + cy0,
        luma=luma,
        alpha=alpha,
        chroma_u=half(chroma_u, alpha),
        chroma_v=half(chroma_v, alpha),
        alpha_half=half(alpha),
    )


def raster_text(
    lines: list[str], font: fonts.Font, size: int, style: str, rgba: tuple[float, float, float, float]
) -> tuple[F32, F32, F32, F32]:
    """Rasterise once: Y, U, V and alpha of the text with its outline and shadow (even-sized arrays)."""
    stroke = max(1, round(size * (0.05 if style == "title" else 0.08)))
    blur = max(1.0, size * 0.08)
    offset = max(1, round(size * 0.05))
    line_h = round(size * 1.25)
    widths = [math.ceil(font.getlength(line)) for line in lines]
    pad = stroke + offset + math.ceil(blur * 3) + (round(size * 0.35) if style == "caption" else 0)
    w = max(widths) + 2 * pad
    h = line_h * len(lines) + 2 * pad
    w, h = w + w % 2, h + h % 2
    fill = Image.new("L", (w, h), 0)
    edge = Image.new("L", (w, h), 0)
    for k, (line, lw) in enumerate(zip(lines, widths, strict=True)):
        pos = ((w - lw) / 2, pad + k * line_h + (line_h - size) / 2)
        ImageDraw.Draw(fill).text(pos, line, font=font, fill=255)
        ImageDraw.Draw(edge).text(pos, line, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
    shadow = Image.new("L", (w, h), 0)
    shadow.paste(edge.filter(ImageFilter.GaussianBlur(blur)), (offset, offset))
    f = np.asarray(fill, dtype=np.float32) / 255
    k_ = np.asarray(edge, dtype=np.float32) / 255
    s = np.asarray(shadow, dtype=np.float32) / 255
    # Dark layers under the coloured glyphs: a soft drop shadow, then an outline (subtle on big
    # titles, firmer on small subtitles); captions also sit on a translucent box so they read
    # over any picture.
    shadow_opacity, outline_opacity = (0.55, 0.45) if style == "title" else (0.7, 0.85)
    dark = s * shadow_opacity
    dark = k_ * outline_opacity + dark * (1 - k_ * outline_opacity)
    if style == "caption":
        box = Image.new("L", (w, h), 0)
        inset = stroke + offset
        ImageDraw.Draw(box).rounded_rectangle(
            (inset, inset, w - inset - 1, h - inset - 1), radius=round(size * 0.3), fill=round(255 * 0.5)
        )
        b = np.asarray(box, dtype=np.float32) / 255
        dark = dark + b * (1 - dark)
    alpha = f + dark * (1 - f)
    share = np.where(alpha > 1e-6, f / np.maximum(alpha, 1e-6), 0.0).astype(np.float32)
    colour = np.asarray(rgba[:3], dtype=np.float32)
    yf, uf, vf = yuv(colour[None, :])
    # The visible colour runs from black (outline, shadow) to the text colour (glyphs).
    luma = (16 + (float(yf[0]) - 16) * share).astype(np.float32)
    chroma_u = (128 + (float(uf[0]) - 128) * share).astype(np.float32)
    chroma_v = (128 + (float(vf[0]) - 128) * share).astype(np.float32)
    coverage = np.asarray(alpha * rgba[3], dtype=np.float32)
    rows = np.flatnonzero(coverage.max(axis=1) > 1 / 255)
    cols = np.flatnonzero(coverage.max(axis=0) > 1 / 255)
    if rows.size == 0:
        return luma[:2, :2], chroma_u[:2, :2], chroma_v[:2, :2], np.zeros((2, 2), np.float32)
    r0, c0 = rows[0] // 2 * 2, cols[0] // 2 * 2
    r1, c1 = min(h, rows[-1] + 2) // 2 * 2, min(w, cols[-1] + 2) // 2 * 2
    # Keep the crop centred horizontally so centred text stays centred on the canvas.
    c0 = min(c0, (w - c1) // 2 * 2)
    c1 = w - c0
    keep = (slice(r0, r1), slice(c0, c1))
    return luma[keep], chroma_u[keep], chroma_v[keep], coverage[keep]
