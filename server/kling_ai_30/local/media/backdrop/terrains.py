"""The terrains a backdrop shows, one painter each: mountains, hills, forest, snow, desert, sea, city, space…"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from kling_ai_30.local.media.backdrop.canvas import (
    F32,
    RGB,
    U_CENTRE,
    Canvas,
    below,
    blend,
    disc_coverage,
    gradient,
    mix,
    noise1d,
    noise2d,
    smoothstep,
)
from kling_ai_30.local.media.backdrop.landforms import fill_ridge, lake, mountain_range, ridge_layer, tree_fringe
from kling_ai_30.local.media.backdrop.scene import Scene
from kling_ai_30.local.media.backdrop.sky import SUN, Light, paint_stars


def _paint_mountains(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    rock = (70, 74, 96) if night else (112, 112, 124)
    mountain_range(
        canvas, img, light, rng, base=hz + 0.02, height=0.42, peaks=7, colour=rock, haze=0.45, snow_level=0.55
    )
    mountain_range(
        canvas,
        img,
        light,
        rng,
        base=hz + 0.1,
        height=0.24,
        peaks=6,
        colour=mix(rock, (60, 72, 66), 0.55),
        haze=0.22,
        snow_level=0.85,
    )
    green = (26, 44, 46) if night else (44, 72, 52)
    if scene.water:
        lake(canvas, img, rng, hz + 0.13, light)
        edge = np.abs(canvas.us - U_CENTRE) / (canvas.aspect / 2 + 1e-6)
        ridge = (1.02 - 0.16 * edge**2.5 - 0.03 * noise1d(rng, canvas.us, 1.8, 4)).astype(np.float32)
        ridge = tree_fringe(canvas, rng, ridge, 0.09, 60)
        fill_ridge(canvas, img, ridge, mix(green, light.haze, 0.1), (12, 20, 16))
        return
    ridge = (hz + 0.2 - 0.07 * (noise1d(rng, canvas.us, 1.4, 4) * 0.5 + 0.5)).astype(np.float32)
    ridge = tree_fringe(canvas, rng, ridge, 0.07, 60)
    fill_ridge(canvas, img, ridge, mix(green, light.haze, 0.25), mix(green, light.haze, 0.1))
    ridge = (hz + 0.28 - 0.06 * (noise1d(rng, canvas.us, 1.2, 4) * 0.5 + 0.5)).astype(np.float32)
    ridge = tree_fringe(canvas, rng, ridge, 0.1, 45)
    fill_ridge(canvas, img, ridge, mix(green, (20, 30, 24), 0.4), (14, 22, 18))


def _paint_hills(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    greens: list[RGB] = [(96, 132, 104), (70, 116, 66), (56, 98, 48), (40, 76, 36)]
    if night:
        greens = [mix(g, (10, 16, 30), 0.6) for g in greens]
    for k, g in enumerate(greens):
        ridge_layer(
            canvas,
            img,
            light,
            rng,
            base=hz + 0.04 + k * 0.1,
            height=0.12 - 0.015 * k,
            colour=g,
            haze=0.45 - 0.13 * k,
            freq=0.9 + 0.2 * k,
        )
    if scene.water:
        lake(canvas, img, rng, hz + 0.2, light)


def _paint_forest(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    layers: list[RGB] = [(86, 118, 96), (52, 88, 62), (32, 64, 42), (18, 40, 26)]
    if night:
        layers = [mix(c, (8, 14, 26), 0.6) for c in layers]
    for k, colour in enumerate(layers):
        base = hz - 0.04 + k * 0.11
        ridge = (base - 0.08 * (noise1d(rng, canvas.us, 0.9 + 0.3 * k, 4) * 0.5 + 0.5)).astype(np.float32)
        ridge = tree_fringe(canvas, rng, ridge, 0.05 + 0.035 * k, 70 - 10 * k)
        haze = 0.55 - 0.17 * k
        col = mix(colour, light.haze, max(haze, 0.0))
        fill_ridge(canvas, img, ridge, col, mix(col, light.haze, 0.25))
        if k < 3:  # morning mist rising between the rows of trees
            row0, _ = below(canvas, ridge)
            mist = (smoothstep(base - 0.02, base + 0.1, canvas.ys[row0:]) * 0.35)[:, None]
            blend(img, np.broadcast_to(mist, (canvas.h - row0, canvas.w)).copy(), light.haze, row0)
    if scene.water:
        lake(canvas, img, rng, hz + 0.3, light)


def _paint_snow(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    mountain_range(
        canvas,
        img,
        light,
        rng,
        base=hz + 0.04,
        height=0.24,
        peaks=6,
        colour=(150, 160, 184),
        haze=0.4,
        snow_level=0.1,
    )
    for k in range(3):
        base = hz + 0.06 + k * 0.12
        ridge = (base - 0.07 * (noise1d(rng, canvas.us, 1.0 + 0.3 * k, 4) * 0.5 + 0.5)).astype(np.float32)
        if k < 2:
            trees = tree_fringe(canvas, rng, ridge, 0.05 + 0.04 * k, 18 + 10 * k)
            fill_ridge(canvas, img, trees, mix((34, 60, 58), light.haze, 0.5 - 0.2 * k), (40, 60, 64))
        fill_ridge(canvas, img, ridge, mix((236, 242, 252), light.haze, 0.2), (200, 214, 236))
    # Falling snow: soft flakes of a few sizes.
    flakes = np.zeros((canvas.h, canvas.w), np.float32)
    count = 260
    xs = rng.uniform(0, 1, count) * canvas.w
    ys = rng.uniform(0, 1, count) * canvas.h
    sizes = rng.uniform(0.6, 2.2, count) * canvas.h / 540
    for x, y, s in zip(xs, ys, sizes, strict=True):
        r = max(1, math.ceil(s * 2))
        x0, x1 = max(0, int(x) - r), min(canvas.w, int(x) + r + 1)
        y0, y1 = max(0, int(y) - r), min(canvas.h, int(y) + r + 1)
        gx = np.arange(x0, x1) - x
        gy = np.arange(y0, y1) - y
        flakes[y0:y1, x0:x1] += np.exp(-(gx[None, :] ** 2 + gy[:, None] ** 2) / (2 * s * s)).astype(np.float32)
    blend(img, np.clip(flakes * 0.8, 0, 0.9), (250, 252, 255))


def _paint_desert(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    sand: RGB = (232, 172, 110)
    shade: RGB = (160, 96, 66)
    if scene.sky == "night":
        sand, shade = mix(sand, (30, 34, 70), 0.7), mix(shade, (14, 16, 40), 0.7)
    for k in range(3):
        mountain_range(
            canvas,
            img,
            light,
            rng,
            base=hz + 0.05 + k * 0.12,
            height=0.12 + 0.06 * k,
            peaks=7 - k,
            colour=sand,
            shadow_colour=shade,
            haze=0.45 - 0.18 * k,
            shape=0.8,
            spread=(1.4, 2.4),
            gullies=0.0,
            rugged=0.004,
            skew=0.7,
        )


def _paint_ocean(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    row0 = int(hz * canvas.h)
    ys = canvas.ys[row0:]
    depth = np.clip((ys - hz) / (1 - hz), 0, 1)[:, None]
    deep = {"night": (8, 16, 36), "sunset": (40, 40, 80), "dawn": (50, 70, 110)}.get(scene.sky, (16, 62, 110))
    near = np.asarray(mix(light.haze, (255, 255, 255), 0.1), np.float32)
    sea = near + (np.asarray(deep, np.float32) - near) * (depth**0.4)[..., None]
    # Waves: horizontal streaks that shrink towards the horizon (perspective).
    z = 1.0 / (ys - hz + 0.01)
    waves = noise2d(rng, canvas, 40, 3, stretch=8.0)[row0:]
    streak = np.sin(z[:, None] * 1.2 + waves * 6 + canvas.us[None, :] * 3)
    sea = sea + (streak * 10 * (0.3 + depth))[..., None]
    # Glitter in a column under the light, wider near the viewer.
    spread = 0.03 + 0.25 * depth
    column = np.exp(-(((canvas.us[None, :] - light.u) / spread) ** 2))
    sparkle = np.clip(streak, 0, 1) ** 3 * column * (0.5 if scene.sky == "night" else 1.0)
    sea = sea + (np.asarray(SUN.get(scene.sky, ((255, 255, 255), 0))[0], np.float32) - sea) * sparkle[..., None] * 0.8
    img[row0:] = sea
    if scene.beach:
        shore = (0.84 + 0.03 * noise1d(rng, canvas.us, 1.5, 4)).astype(np.float32)
        r0, mask = below(canvas, shore)
        foam = np.clip(1 - np.abs(canvas.ys[r0:, None] - shore[None, :]) * canvas.h / (canvas.h * 0.01), 0, 1)
        sand = gradient(canvas.ys[r0:], [(0.8, (214, 184, 140)), (1.0, (190, 150, 104))])
        region = img[r0:]
        region += (sand - region) * mask[..., None]
        region += (np.asarray((250, 250, 246), np.float32) - region) * (foam * 0.7)[..., None]


def _paint_city(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon + 0.1
    night = scene.sky in ("night", "sunset")
    for k, (tone, win_p) in enumerate(((0.55, 0.15), (0.25, 0.35), (0.0, 0.45))):
        lo, hi = float(canvas.us[0]) - 0.1, float(canvas.us[-1]) + 0.1
        edges = [lo]
        while edges[-1] < hi:
            edges.append(edges[-1] + float(rng.uniform(0.03, 0.08)) * (1 + 0.3 * k))
        n = len(edges) - 1
        heights = rng.uniform(0.08, 0.26, n) * (1.25 - 0.2 * k)
        towers = rng.random(n) < 0.12
        heights[towers] *= 1.7
        idx = np.clip(np.searchsorted(edges, canvas.us) - 1, 0, n - 1)
        base = hz + k * 0.05
        ridge = (base - heights[idx]).astype(np.float32)
        row0, mask = below(canvas, ridge)
        body: RGB = (22, 26, 44) if night else (92, 106, 128)
        col = np.asarray(mix(body, light.haze, tone), np.float32)
        region = img[row0:]
        region += (col - region) * mask[..., None]
        # Windows: a grid per building, each window lit or not by a deterministic table.
        left = np.asarray(edges, np.float32)[idx]
        cx = np.floor((canvas.us - left) / 0.012).astype(np.int64)
        cy = np.floor((canvas.ys[row0:, None] - ridge[None, :]) / 0.016).astype(np.int64)
        in_x = ((canvas.us - left) % 0.012) < 0.006
        in_y = ((canvas.ys[row0:, None] - ridge[None, :]) % 0.016) < 0.009
        table = rng.random(4096)
        lit_win = table[(idx[None, :] * 131 + cx[None, :] * 17 + cy * 7) % 4096] < win_p
        window = in_x[None, :] & in_y & lit_win & (cy >= 1)
        glow = (255, 206, 130) if night else (170, 200, 226)
        wmask = window.astype(np.float32) * mask * (0.9 - tone)
        region += (np.asarray(glow, np.float32) - region) * wmask[..., None]
    front = np.full(canvas.w, hz + 0.1, np.float32)
    if scene.water:
        lake(canvas, img, rng, hz + 0.1, light)
    else:
        fill_ridge(canvas, img, front, (18, 20, 30) if night else (70, 76, 86), (8, 10, 16))


def _paint_space(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    img[:] = gradient(canvas.ys, [(0.0, (4, 4, 16)), (1.0, (14, 10, 34))])
    a = noise2d(rng, canvas, 3, 6) * 0.5 + 0.5
    b = noise2d(rng, canvas, 4, 6) * 0.5 + 0.5
    hue_a = np.asarray(rng.choice([(120, 60, 200), (40, 110, 220), (200, 60, 140)]), np.float32)
    hue_b = np.asarray(rng.choice([(255, 120, 90), (80, 200, 220), (240, 200, 120)]), np.float32)
    img += hue_a * (smoothstep(0.45, 0.85, a) ** 1.5 * 0.55)[..., None]
    img += hue_b * (smoothstep(0.55, 0.9, b) ** 2 * 0.4)[..., None]
    paint_stars(canvas, img, rng, 1.0, count=900)
    disc, _ = disc_coverage(canvas, light.u, 0.72, 0.16)
    # A planet off to one side, lit from the middle of the frame and dark on its far side.
    shade = np.clip(0.5 - (canvas.us[None, :] - light.u) * light.side * 4, 0.05, 1.0)
    planet = np.asarray((170, 140, 200), np.float32) * shade[..., None]
    blend(img, disc, planet)


_PALETTES: tuple[tuple[RGB, RGB, RGB], ...] = (
    ((24, 40, 92), (120, 70, 160), (250, 150, 120)),
    ((10, 60, 80), (30, 140, 150), (220, 230, 190)),
    ((40, 20, 60), (200, 70, 110), (255, 190, 120)),
    ((20, 30, 40), (60, 110, 140), (180, 210, 220)),
    ((60, 30, 20), (190, 100, 60), (250, 220, 160)),
)


def _paint_abstract(canvas: Canvas, img: F32, scene: Scene, light: Light, rng: np.random.Generator) -> None:
    top, mid, low = _PALETTES[int(rng.integers(len(_PALETTES)))]
    tilt = float(rng.uniform(-0.25, 0.25))
    t = np.clip(canvas.ys[:, None] + (canvas.us[None, :] - U_CENTRE) * tilt, 0, 1)
    grad = gradient(t.ravel().astype(np.float32), [(0.0, top), (0.55, mid), (1.0, low)]).reshape(canvas.h, canvas.w, 3)
    img[:] = grad
    # Soft bokeh discs of light, drawn large and blurred by their own falloff.
    for _ in range(14):
        cu = U_CENTRE + float(rng.uniform(-1, 1)) * canvas.aspect / 2
        cy = float(rng.uniform(0, 1))
        r = float(rng.uniform(0.04, 0.16))
        _, d = disc_coverage(canvas, cu, cy, r)
        soft = np.clip(1 - d / r, 0, 1) ** 0.8 * float(rng.uniform(0.08, 0.22))
        blend(img, soft.astype(np.float32), mix(low, (255, 255, 255), 0.5))


TERRAINS: dict[str, Callable[[Canvas, F32, Scene, Light, np.random.Generator], None]] = {
    "mountains": _paint_mountains,
    "hills": _paint_hills,
    "forest": _paint_forest,
    "snow": _paint_snow,
    "desert": _paint_desert,
    "ocean": _paint_ocean,
    "city": _paint_city,
    "space": _paint_space,
    "abstract": _paint_abstract,
}
