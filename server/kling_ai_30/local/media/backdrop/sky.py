"""The sky over a backdrop: its gradient, the sun or moon and their glow, stars, clouds, and the light they cast."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kling_ai_30.local.media.backdrop.canvas import (
    F32,
    RGB,
    U_CENTRE,
    Canvas,
    blend,
    disc_coverage,
    gradient,
    mix,
    noise2d,
    smoothstep,
)
from kling_ai_30.local.media.backdrop.scene import Scene

SKIES: dict[str, list[tuple[float, RGB]]] = {
    "day": [(0.0, (54, 110, 190)), (0.55, (118, 170, 224)), (1.0, (214, 230, 242))],
    "sunset": [(0.0, (36, 32, 84)), (0.35, (112, 60, 122)), (0.72, (236, 112, 78)), (1.0, (255, 196, 120))],
    "dawn": [(0.0, (64, 86, 150)), (0.5, (196, 150, 178)), (1.0, (255, 214, 172))],
    "night": [(0.0, (4, 8, 24)), (0.6, (14, 24, 58)), (1.0, (40, 48, 92))],
    "overcast": [(0.0, (128, 140, 156)), (1.0, (214, 220, 226))],
}
# The colour of distant air: far layers fade towards it (aerial perspective).
HAZE: dict[str, RGB] = {
    "day": (190, 212, 232),
    "sunset": (226, 140, 120),
    "dawn": (226, 184, 180),
    "night": (38, 46, 84),
    "overcast": (196, 204, 212),
}
SUN: dict[str, tuple[RGB, float]] = {  # disc colour, height above the horizon
    "day": ((255, 255, 246), 0.44),
    "sunset": ((255, 220, 150), 0.09),
    "dawn": ((255, 232, 190), 0.12),
    "night": ((236, 236, 220), 0.40),  # the moon
}


@dataclass
class Light:
    """Where the sun or moon sits and the colour of the distant air; the land is lit from it."""

    u: float  # sun (or moon) position
    y: float
    side: float  # -1 when the light comes from the left, +1 from the right
    haze: RGB


def paint_sky(canvas: Canvas, scene: Scene, rng: np.random.Generator) -> tuple[F32, Light]:
    """The sky for the scene (gradient, light, clouds or stars) on a new image, and its light."""
    sky = scene.sky
    hz = canvas.horizon
    img = np.broadcast_to(gradient(canvas.ys / hz, SKIES[sky]), (canvas.h, canvas.w, 3)).copy()
    side = -1.0 if rng.random() < 0.5 else 1.0
    half = canvas.aspect / 2
    su = U_CENTRE + side * half * float(rng.uniform(0.25, 0.55))
    colour, height = SUN.get(sky, ((255, 255, 255), 0.35))
    sy = hz - height
    light = Light(u=su, y=sy, side=side, haze=HAZE[sky])
    if sky == "night":
        paint_stars(canvas, img, rng, hz, count=420)
    if sky == "overcast":
        paint_clouds(canvas, img, rng, hz, cover=0.75, lit=(236, 238, 242), shade=(150, 158, 170))
        return img, light
    disc, d = disc_coverage(canvas, su, sy, {"night": 0.045, "day": 0.035}.get(sky, 0.06))
    # A wide soft glow around the light, screened over the sky.
    glow_strength = {"day": 0.5, "sunset": 0.9, "dawn": 0.7, "night": 0.25}[sky]
    core = 1.0 if sky == "day" else glow_strength  # a midday sun is a glare more than a disc
    glow = (np.exp(-d / 0.22) * glow_strength + np.exp(-d / 0.05) * core).astype(np.float32)
    glow_col = np.asarray(mix(colour, (255, 255, 255), 0.2), np.float32)
    img += (glow_col - img) * glow[..., None] * (1 - img / 512)
    if sky == "night":
        crater = 0.9 + 0.1 * noise2d(rng, canvas, 24, 2)
        blend(img, disc, np.asarray(colour, np.float32) * crater[..., None])
        paint_clouds(canvas, img, rng, hz, cover=0.25, lit=(70, 78, 112), shade=(24, 30, 58))
    else:
        blend(img, disc, colour)
        lit = {"day": (255, 255, 255), "sunset": (255, 176, 130), "dawn": (255, 214, 200)}[sky]
        shade = {"day": (196, 210, 228), "sunset": (130, 70, 110), "dawn": (170, 140, 170)}[sky]
        paint_clouds(canvas, img, rng, hz, cover=0.4, lit=lit, shade=shade)
    return img, light


def paint_stars(canvas: Canvas, img: F32, rng: np.random.Generator, bottom: float, count: int) -> None:
    """Scatter `count` stars above `bottom`, fainter towards the horizon."""
    # Positions in normalised units, drawn before anything else, so the land covers low stars.
    us = rng.uniform(U_CENTRE - 2.0, U_CENTRE + 2.0, count)
    vs = rng.uniform(0.0, bottom, count) ** 1.3
    bright = rng.uniform(0.25, 1.0, count) ** 2 * 230
    xs = np.round((us - U_CENTRE) * canvas.h + canvas.w / 2).astype(np.int64)
    ys = np.round(vs * canvas.h).astype(np.int64)
    keep = (xs >= 0) & (xs < canvas.w) & (ys >= 0) & (ys < canvas.h)
    fade = (1 - vs[keep] / bottom) ** 0.5  # fewer visible near the hazy horizon
    np.add.at(img, (ys[keep], xs[keep]), (bright[keep] * fade)[:, None])


def paint_clouds(
    canvas: Canvas, img: F32, rng: np.random.Generator, bottom: float, cover: float, lit: RGB, shade: RGB
) -> None:
    """Soft clouds above `bottom`, covering about `cover` of the sky, lit from above."""
    n = noise2d(rng, canvas, 3, 5, stretch=3.0)
    density = smoothstep(0.35 - cover * 0.5, 0.75 - cover * 0.4, n * 0.5 + 0.5)
    band = smoothstep(0.0, 0.15, canvas.ys[:, None]) * (1 - smoothstep(bottom * 0.55, bottom, canvas.ys[:, None]))
    alpha = density * band * 0.85
    # Clouds are lit from above: denser parts show their shaded bellies.
    tone = smoothstep(0.3, 0.9, density)[..., None]
    colour = np.asarray(lit, np.float32) * (1 - tone * 0.6) + np.asarray(shade, np.float32) * tone * 0.6
    img += (colour - img) * alpha[..., None]
