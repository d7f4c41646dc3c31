"""The shapes terrains are built from: lit ridges, mountain ranges with snow, tree lines, filled ridges, lakes."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kling_ai_30.local.media.backdrop.canvas import (
    F32,
    RGB,
    U_CENTRE,
    Canvas,
    below,
    mix,
    noise1d,
    noise2d,
    smoothstep,
)
from kling_ai_30.local.media.backdrop.sky import Light


def ridge_layer(
    canvas: Canvas,
    img: F32,
    light: Light,
    rng: np.random.Generator,
    *,
    base: float,
    height: float,
    colour: RGB,
    haze: float,
    freq: float,
) -> F32:
    """One range of rolling hills lit from the side: returns its ridge line (y per column)."""
    profile = noise1d(rng, canvas.us, freq, 5) * 0.5 + 0.5
    ridge = (base - height * profile).astype(np.float32)
    row0, mask = below(canvas, ridge)
    depth = (canvas.ys[row0:, None] - ridge[None, :]) / max(height, 1e-3)
    body = np.asarray(mix(colour, light.haze, haze), np.float32)
    # Slopes turned to the light are brighter, fading down the face.
    slope = np.gradient(ridge, canvas.px).astype(np.float32)
    facing = np.tanh(slope * light.side * 1.6).astype(np.float32)
    shade = facing[None, :] * np.exp(-np.clip(depth, 0, None) * 2.2) * 0.25
    colour_map = body[None, None, :] * (1 + shade[..., None])
    mist = smoothstep(0.35, 1.6, depth)[..., None] * haze * 0.8  # valleys sink into the haze
    colour_map = colour_map + (np.asarray(light.haze, np.float32) - colour_map) * mist
    region = img[row0:]
    region += (colour_map - region) * mask[..., None]
    return ridge


def mountain_range(
    canvas: Canvas,
    img: F32,
    light: Light,
    rng: np.random.Generator,
    *,
    base: float,
    height: float,
    peaks: int,
    colour: RGB,
    haze: float,
    snow_level: float = 1.0,
    shape: float = 1.6,
    spread: tuple[float, float] = (0.6, 1.0),
    gullies: float = 0.45,
    rugged: float = 0.06,
    skew: float = 0.0,
    shadow_colour: RGB | None = None,
) -> F32:
    """A range of summits modelled as cones: lit and shaded flanks, gullies, snow above `snow_level` (0..1).

    `shape` > 1 gives concave flanks (mountains), < 1 rounded tops (dunes); `skew` bends the line
    between the sunlit and the shaded flank, like the crest of a dune.
    """
    # Summits on a fixed span around the centre, so portrait and landscape frames show the same range.
    cs = rng.uniform(U_CENTRE - 1.25, U_CENTRE + 1.25, peaks)
    cs[0] = U_CENTRE + float(rng.uniform(-0.3, 0.3))  # the main summit stays in frame
    hs = rng.uniform(0.45, 0.85, peaks)
    hs[0] = 1.0
    widths = rng.uniform(spread[0], spread[1], peaks)  # base half-width per unit of summit height
    bends = rng.uniform(-skew, skew, peaks)
    u = canvas.us

    def radius(i: int | NDArray[np.int64], level: F32) -> F32:
        # Concave flanks: steep under the summit, easing out towards the valleys, and still
        # widening below the base (a cylinder there would show as a vertical seam in the mist).
        rel = np.minimum(level / hs[i], 1)
        frac = np.sign(rel) * np.abs(rel) ** (1 / shape)
        return np.maximum((1 - frac) * hs[i] * widths[i], 1e-4).astype(np.float32)

    cones = np.array(
        [hs[i] * np.clip(1 - np.abs(u - cs[i]) / (hs[i] * widths[i]), 0, 1) ** shape for i in range(peaks)]
    )
    silhouette = cones.max(axis=0)
    dominant = cones.argmax(axis=0)  # per column: the fallback owner where no cone reaches
    roughness = noise1d(rng, u, 5.0, 6, gain=0.6) * rugged * (0.3 + silhouette)
    floor = 0.12 + 0.08 * noise1d(rng, u, 1.5, 3)  # foothills: the valleys never reach the base
    elev = np.maximum(silhouette, floor) + roughness
    ridge: F32 = np.asarray(base - height * elev, dtype=np.float32)
    row0, mask = below(canvas, ridge)
    column = ((base - canvas.ys[row0:, None]) / height).astype(np.float32)  # elevation of each row
    level = np.broadcast_to(column, mask.shape)
    # Each pixel shows the flank nearest the viewer: the cone whose surface pokes furthest forward.
    best = np.full(mask.shape, -np.inf, np.float32)
    owner = np.broadcast_to(dominant, mask.shape).copy()
    dx = np.broadcast_to((u - cs[dominant]).astype(np.float32), mask.shape).copy()
    rad = radius(dominant, column)
    for i in range(peaks):
        reach_max = float(radius(i, column[-1:]).max())  # the widest, at the bottom row
        c0, c1 = np.searchsorted(u, [cs[i] - reach_max, cs[i] + reach_max])
        if c1 <= c0:
            continue
        cols = slice(int(c0), int(c1))
        r = radius(i, column)
        off = (u[cols] - cs[i])[None, :]
        reach = r * r - off * off
        front = np.where(reach > 0, np.sqrt(np.maximum(reach, 0)), reach)
        take = front > best[:, cols]
        np.copyto(best[:, cols], front, where=take)
        np.copyto(dx[:, cols], np.broadcast_to(off, take.shape), where=take)
        np.copyto(rad[:, cols], np.broadcast_to(r, take.shape), where=take)
        np.copyto(owner[:, cols], i, where=take)
    dx = dx - bends[owner] * np.clip(hs[owner] - level, 0, None)  # a bent crest line
    z = np.sqrt(np.clip(rad * rad - dx * dx, 0, None))
    # Light from the side and a little from the front; sharpened for a painted, faceted look.
    facing = dx * light.side / rad
    # Outside every cone is foothill floor: an even, half-lit tone rather than some cone's far side.
    lambert = np.where(best > 0, facing * 0.85 + (z / rad) * 0.35, 0.05)
    azimuth = (np.arctan2(dx, z) / np.pi + 2.0 + owner * 0.21).astype(np.float32)
    gully = noise1d(rng, azimuth, 9.0, 4, gain=0.6) * np.clip((hs[owner] - level) * 5, 0, 1)
    tone = smoothstep(-0.1, 0.15, (lambert + gully * gullies).astype(np.float32))[..., None]
    sunny = np.asarray(mix(mix(colour, (255, 236, 210), 0.25), light.haze, haze), np.float32)
    dark = shadow_colour or mix(colour, (40, 50, 80), 0.35)
    shadow = np.asarray(mix(dark, light.haze, haze), np.float32)
    rock = shadow + (sunny - shadow) * tone
    if snow_level < 1:
        line = snow_level - gully * 0.3 + noise2d(rng, canvas, 40, 2)[row0:] * 0.015
        snow = smoothstep(-0.006, 0.006, (level - line).astype(np.float32))[..., None]
        snow_lit = np.asarray(mix((250, 250, 255), light.haze, haze * 0.4), np.float32)
        snow_shadow = np.asarray(mix((150, 168, 208), light.haze, haze * 0.4), np.float32)
        rock = rock + (snow_shadow + (snow_lit - snow_shadow) * tone - rock) * snow
    mist = smoothstep(0.3, -0.05, level)[..., None] * (0.3 + haze * 0.6)
    rock = rock + (np.asarray(light.haze, np.float32) - rock) * mist
    region = img[row0:]
    region += (rock - region) * mask[..., None]
    return ridge


def tree_fringe(canvas: Canvas, rng: np.random.Generator, ridge: F32, height: float, density: int) -> F32:
    """Raise a ridge line by a row of pine silhouettes along it (per-column tree tops)."""
    tops = np.zeros_like(ridge)
    lo, hi = float(canvas.us[0]), float(canvas.us[-1])
    count = max(1, int(density * (hi - lo)))
    centres = rng.uniform(lo - 0.05, hi + 0.05, count)
    heights = height * rng.uniform(0.5, 1.25, count)
    for c, h in zip(centres, heights, strict=True):
        half = h * 0.28
        i0, i1 = np.searchsorted(canvas.us, [c - half, c + half])
        if i1 <= i0:
            continue
        d = np.abs(canvas.us[i0:i1] - c) / half  # 0 at the trunk, 1 at the widest branch
        tiers = 0.12 * ((d * 4.0) % 1.0)  # jagged branch tiers
        tops[i0:i1] = np.maximum(tops[i0:i1], h * np.clip(1 - d - tiers, 0, 1))
    return (ridge - tops).astype(np.float32)


def fill_ridge(canvas: Canvas, img: F32, ridge: F32, top: RGB, bottom: RGB) -> None:
    """Fill everything below a ridge line with a vertical gradient from `top` to `bottom`."""
    row0, mask = below(canvas, ridge)
    fade = smoothstep(float(ridge.min()), 1.0, canvas.ys[row0:])[:, None]
    col = np.asarray(top, np.float32) + (np.asarray(bottom, np.float32) - np.asarray(top, np.float32)) * fade
    region = img[row0:]
    region += (col[:, None, :] - region) * mask[..., None]


def lake(canvas: Canvas, img: F32, rng: np.random.Generator, line: float, light: Light) -> None:
    """Mirror everything above `line` into still water below it, darker and slightly rippled."""
    row0 = int(line * canvas.h)
    rows = np.arange(row0, canvas.h)
    src = np.clip(2 * row0 - rows, 0, canvas.h - 1)
    ripple = np.sin(rows * 0.9 + rng.uniform(0, 6.28)) * (rows - row0) / canvas.h * canvas.h * 0.004
    reflected = np.empty_like(img[row0:])
    xs = np.arange(canvas.w)
    for k, (r, s) in enumerate(zip(src, ripple, strict=True)):
        reflected[k] = img[r, np.clip(xs + round(float(s)), 0, canvas.w - 1)]
    water = np.asarray(mix((30, 60, 90), light.haze, 0.3), np.float32)
    depth = smoothstep(0.0, 1.0, (canvas.ys[row0:] - line) / max(1e-3, 1 - line))[:, None, None]
    img[row0:] = reflected * (0.78 - 0.2 * depth) + water * (0.22 + 0.2 * depth)
