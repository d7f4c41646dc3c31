"""Backdrop stills for text prompts: a keyword-chosen scene painted procedurally with NumPy.

The local backend has no image model, so a prompt becomes a landscape (mountains, ocean, city,
space, ...) under the sky it names. The picture is a deterministic function of the prompt (see
:mod:`~kling_ai_30.local.media.prompts`), so a test can compare bytes and the demo looks the same on
every machine.

The parts: :mod:`~kling_ai_30.local.media.backdrop.scene` reads the prompt,
:mod:`~kling_ai_30.local.media.backdrop.sky` paints the sky and sets the light,
:mod:`~kling_ai_30.local.media.backdrop.terrains` paints the land from the shapes in
:mod:`~kling_ai_30.local.media.backdrop.landforms`, all on the normalised
:mod:`~kling_ai_30.local.media.backdrop.canvas`; this module finishes the picture and saves it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from kling_ai_30.local.media.backdrop.canvas import F32, Canvas
from kling_ai_30.local.media.backdrop.label import painted_exif
from kling_ai_30.local.media.backdrop.scene import scene_for
from kling_ai_30.local.media.backdrop.sky import paint_sky
from kling_ai_30.local.media.backdrop.terrains import TERRAINS
from kling_ai_30.local.media.prompts import seed


def make_backdrop(prompt: str, width: int, height: int, out_path: Path) -> Path:
    """Paint a still for a text prompt and save it (JPEG or PNG by the path's suffix), labelled with
    what it shows (:mod:`~kling_ai_30.local.media.backdrop.label`)."""
    image = backdrop_image(prompt, width, height)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(out_path, format="JPEG", quality=92, optimize=True, exif=painted_exif(prompt))
    else:
        image.save(out_path, format="PNG", optimize=True, exif=painted_exif(prompt))
    return out_path


def backdrop_image(prompt: str, width: int, height: int) -> Image.Image:
    """The still for a prompt as an RGB image: a keyword-chosen scene, varied by a hash of the prompt."""
    if width < 1 or height < 1:
        raise ValueError(f"backdrop size must be positive, got {width}x{height}")
    scene = scene_for(prompt)
    rng = np.random.default_rng(seed("backdrop", prompt))
    canvas = Canvas(width, height)
    img, light = paint_sky(canvas, scene, rng)
    TERRAINS[scene.terrain](canvas, img, scene, light, rng)
    _finish(canvas, img, rng)
    return Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")


def _finish(canvas: Canvas, img: F32, rng: np.random.Generator) -> None:
    # A gentle vignette and a little grain: cinematic, and the grain stops banding after H.264.
    dx = (np.arange(canvas.w, dtype=np.float32) + 0.5) / canvas.w - 0.5
    dy = (np.arange(canvas.h, dtype=np.float32) + 0.5) / canvas.h - 0.5
    vignette = 1 - 0.32 * (dx[None, :] ** 2 + dy[:, None] ** 2) ** 1.2 * 2.2
    img *= vignette[..., None]
    img += rng.normal(0.0, 1.6, (canvas.h, canvas.w, 1)).astype(np.float32)
