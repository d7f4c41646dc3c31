"""Backdrop stills for text prompts: a keyword-chosen scene painted procedurally with NumPy.

The local backend has no image model, so a prompt becomes a landscape (mountains, ocean, city,
space, ...) under the sky it names. The picture is a deterministic function of the prompt (see
:mod:`~kling_ai_30.local.prompts`), so a test can compare bytes and the demo looks the same on every
machine. Scenes are painted in normalised coordinates (height = 1), so the same prompt gives the
same scene at 144 px and at 1080 px for one aspect ratio.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from kling_ai_30.local.prompts import mentions, seed, tokens

F32 = NDArray[np.float32]
RGB = tuple[float, float, float]


def make_backdrop(prompt: str, width: int, height: int, out_path: Path) -> Path:
    """Paint a still for a text prompt and save it (JPEG or PNG by the path's suffix)."""
    image = backdrop_image(prompt, width, height)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(out_path, format="JPEG", quality=92, optimize=True)
    else:
        image.save(out_path, format="PNG", optimize=True)
    return out_path


def backdrop_image(prompt: str, width: int, height: int) -> Image.Image:
    """The still for a prompt as an RGB image: a keyword-chosen scene, varied by a hash of the prompt."""
    if width < 1 or height < 1:
        raise ValueError(f"backdrop size must be positive, got {width}x{height}")
    scene = scene_for(prompt)
    rng = np.random.default_rng(seed("backdrop", prompt))
    canvas = _Canvas(width, height)
    img, light = _paint_sky(canvas, scene, rng)
    _TERRAINS[scene.terrain](canvas, img, scene, light, rng)
    _finish(canvas, img, rng)
    return Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")


# --- scene choice -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """What a prompt asks to see: the land, the sky, and whether there is water in front."""

    terrain: str  # mountains | hills | forest | snow | desert | ocean | city | space | abstract
    sky: str  # day | sunset | dawn | night | overcast
    water: bool  # a lake or river reflecting the scene
    beach: bool  # sand in front of the sea


# Checked in order: the first terrain mentioned wins ("snowy mountain lake" is mountains).
_TERRAIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("space", ("space", "galaxy", "nebula", "cosmic", "cosmos", "universe", "planet", "星空", "宇宙", "银河")),
    ("city", ("city", "urban", "street", "skyline", "downtown", "neon", "town", "cyberpunk", "城市", "都市", "街")),
    ("ocean", ("ocean", "sea", "wave", "beach", "coast", "surf", "shore", "island", "海", "浪", "沙滩")),
    ("mountains", ("mountain", "alps", "alpine", "peak", "summit", "himalaya", "valley", "cliff", "山", "峰")),
    ("desert", ("desert", "dune", "sahara", "sand", "沙漠")),
    ("snow", ("snow", "winter", "ice", "frozen", "arctic", "雪", "冬")),
    ("forest", ("forest", "tree", "woods", "jungle", "pine", "森林", "树")),
    ("hills", ("hill", "meadow", "field", "countryside", "landscape", "nature", "草原", "田野", "风景")),
)
_SKY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("night", ("night", "midnight", "moon", "starry", "neon", "夜", "月")),
    ("sunset", ("sunset", "sundown", "dusk", "golden", "evening", "twilight", "日落", "黄昏", "夕阳")),
    ("dawn", ("sunrise", "dawn", "morning", "日出", "清晨")),
    ("overcast", ("cloudy", "fog", "mist", "rain", "storm", "overcast", "雾", "雨")),
    ("day", ("day", "sunny", "noon", "afternoon", "daylight", "白天")),
)
_WATER_WORDS = ("lake", "river", "reflection", "pond", "harbor", "harbour", "bay", "湖", "河")
_BEACH_WORDS = ("beach", "sand", "shore", "沙滩")


def scene_for(prompt: str) -> Scene:
    """The scene a prompt asks for, from English and Chinese keywords; unknown prompts get an abstract still."""
    words, lowered = tokens(prompt)
    terrain = next((t for t, kws in _TERRAIN_WORDS if mentions(words, lowered, kws)), "abstract")
    sky = next((s for s, kws in _SKY_WORDS if mentions(words, lowered, kws)), "")
    if not sky:
        sky = "night" if terrain in ("city", "space") else "day"
    return Scene(
        terrain=terrain,
        sky=sky,
        water=mentions(words, lowered, _WATER_WORDS),
        beach=mentions(words, lowered, _BEACH_WORDS),
    )


# --- painting primitives ----------------------------------------------------------------------

_U_CENTRE = 2.0  # the canvas centre in noise space; noise lattices span u in [0, 4]


class _Canvas:
    """Pixel grid with normalised coordinates: y in [0, 1] top to bottom, u = x / height."""

    def __init__(self, width: int, height: int) -> None:
        self.w = width
        self.h = height
        self.ys: F32 = ((np.arange(height, dtype=np.float32) + 0.5) / height).astype(np.float32)
        self.us: F32 = ((np.arange(width, dtype=np.float32) + 0.5 - width / 2) / height + _U_CENTRE).astype(np.float32)
        self.aspect = width / height
        self.px = 1.0 / height  # one pixel in normalised units
        self.portrait = height > width
        # A portrait frame shows more sky above the land, so the horizon sits a little lower.
        self.horizon = 0.64 if self.portrait else 0.62


def _noise1d(rng: np.random.Generator, u: F32, freq: float, octaves: int, gain: float = 0.5) -> F32:
    """Smooth fractal value noise along u, about [-1, 1]; the lattice is fixed so size never matters."""
    total = np.zeros_like(u)
    amp, norm = 1.0, 0.0
    for k in range(octaves):
        f = freq * 2.0**k
        lattice = rng.uniform(-1.0, 1.0, int(4 * f) + 3).astype(np.float32)
        x = np.clip(u, 0.0, 3.999) * f
        i = np.floor(x).astype(np.int64)
        t = x - i
        t = t * t * (3 - 2 * t)
        total += amp * (lattice[i] * (1 - t) + lattice[i + 1] * t)
        norm += amp
        amp *= gain
    return (total / norm).astype(np.float32)


def _noise2d(rng: np.random.Generator, canvas: _Canvas, cells: int, octaves: int, stretch: float = 1.0) -> F32:
    """Smooth fractal 2-D noise in about [-1, 1]; `stretch` > 1 elongates features horizontally."""
    total = np.zeros((canvas.h, canvas.w), np.float32)
    amp, norm = 1.0, 0.0
    for k in range(octaves):
        gy = cells * 2**k + 1
        gx = max(2, math.ceil(gy * canvas.aspect / stretch) + 1)
        grid = rng.uniform(-1.0, 1.0, (gy, gx)).astype(np.float32)
        layer = Image.fromarray(grid, "F").resize((canvas.w, canvas.h), Image.Resampling.BICUBIC)
        total += amp * np.asarray(layer, dtype=np.float32)
        norm += amp
        amp *= 0.5
    return (total / norm).astype(np.float32)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _smoothstep(lo: float, hi: float, x: F32) -> F32:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), dtype=np.float32)


def _gradient(ys: F32, stops: list[tuple[float, RGB]]) -> F32:
    """Colour at each y from (position, colour) stops: shape (len(ys), 1, 3)."""
    pos = [p for p, _ in stops]
    out = np.stack([np.interp(ys, pos, [c[ch] for _, c in stops]) for ch in range(3)], axis=-1)
    return out.astype(np.float32)[:, None, :]


def _blend(img: F32, mask: F32, colour: F32 | RGB, row0: int = 0) -> None:
    """Paint `colour` over img[row0:] with coverage `mask` (rows row0.. of the canvas)."""
    region = img[row0:]
    m = mask[..., None]
    col = np.asarray(colour, dtype=np.float32)
    region += (col - region) * m


def _below(canvas: _Canvas, ridge: F32) -> tuple[int, F32]:
    """Anti-aliased coverage of everything below a ridge line: (first row, mask of rows row0..)."""
    row0 = max(0, int(np.floor(float(ridge.min()) * canvas.h)) - 1)
    ys = canvas.ys[row0:, None]
    mask = np.clip((ys - ridge[None, :]) * canvas.h + 0.5, 0.0, 1.0).astype(np.float32)
    return row0, mask


def _disc(canvas: _Canvas, cx: float, cy: float, r: float) -> tuple[F32, F32]:
    """Coverage of a disc and the distance field to its centre, both (h, w)."""
    d = np.sqrt((canvas.us[None, :] - cx) ** 2 + (canvas.ys[:, None] - cy) ** 2).astype(np.float32)
    return np.clip((r - d) / canvas.px + 0.5, 0.0, 1.0).astype(np.float32), d


# --- sky --------------------------------------------------------------------------------------

_SKIES: dict[str, list[tuple[float, RGB]]] = {
    "day": [(0.0, (54, 110, 190)), (0.55, (118, 170, 224)), (1.0, (214, 230, 242))],
    "sunset": [(0.0, (36, 32, 84)), (0.35, (112, 60, 122)), (0.72, (236, 112, 78)), (1.0, (255, 196, 120))],
    "dawn": [(0.0, (64, 86, 150)), (0.5, (196, 150, 178)), (1.0, (255, 214, 172))],
    "night": [(0.0, (4, 8, 24)), (0.6, (14, 24, 58)), (1.0, (40, 48, 92))],
    "overcast": [(0.0, (128, 140, 156)), (1.0, (214, 220, 226))],
}
# The colour of distant air: far layers fade towards it (aerial perspective).
_HAZE: dict[str, RGB] = {
    "day": (190, 212, 232),
    "sunset": (226, 140, 120),
    "dawn": (226, 184, 180),
    "night": (38, 46, 84),
    "overcast": (196, 204, 212),
}
_SUN: dict[str, tuple[RGB, float]] = {  # disc colour, height above the horizon
    "day": ((255, 255, 246), 0.44),
    "sunset": ((255, 220, 150), 0.09),
    "dawn": ((255, 232, 190), 0.12),
    "night": ((236, 236, 220), 0.40),  # the moon
}


@dataclass
class _Light:
    u: float  # sun (or moon) position
    y: float
    side: float  # -1 when the light comes from the left, +1 from the right
    haze: RGB


def _paint_sky(canvas: _Canvas, scene: Scene, rng: np.random.Generator) -> tuple[F32, _Light]:
    sky = scene.sky
    hz = canvas.horizon
    img = np.broadcast_to(_gradient(canvas.ys / hz, _SKIES[sky]), (canvas.h, canvas.w, 3)).copy()
    side = -1.0 if rng.random() < 0.5 else 1.0
    half = canvas.aspect / 2
    su = _U_CENTRE + side * half * float(rng.uniform(0.25, 0.55))
    colour, height = _SUN.get(sky, ((255, 255, 255), 0.35))
    sy = hz - height
    light = _Light(u=su, y=sy, side=side, haze=_HAZE[sky])
    if sky == "night":
        _paint_stars(canvas, img, rng, hz, count=420)
    if sky == "overcast":
        _paint_clouds(canvas, img, rng, hz, cover=0.75, lit=(236, 238, 242), shade=(150, 158, 170))
        return img, light
    disc, d = _disc(canvas, su, sy, {"night": 0.045, "day": 0.035}.get(sky, 0.06))
    # A wide soft glow around the light, screened over the sky.
    glow_strength = {"day": 0.5, "sunset": 0.9, "dawn": 0.7, "night": 0.25}[sky]
    core = 1.0 if sky == "day" else glow_strength  # a midday sun is a glare more than a disc
    glow = (np.exp(-d / 0.22) * glow_strength + np.exp(-d / 0.05) * core).astype(np.float32)
    glow_col = np.asarray(_mix(colour, (255, 255, 255), 0.2), np.float32)
    img += (glow_col - img) * glow[..., None] * (1 - img / 512)
    if sky == "night":
        crater = 0.9 + 0.1 * _noise2d(rng, canvas, 24, 2)
        _blend(img, disc, np.asarray(colour, np.float32) * crater[..., None])
        _paint_clouds(canvas, img, rng, hz, cover=0.25, lit=(70, 78, 112), shade=(24, 30, 58))
    else:
        _blend(img, disc, colour)
        lit = {"day": (255, 255, 255), "sunset": (255, 176, 130), "dawn": (255, 214, 200)}[sky]
        shade = {"day": (196, 210, 228), "sunset": (130, 70, 110), "dawn": (170, 140, 170)}[sky]
        _paint_clouds(canvas, img, rng, hz, cover=0.4, lit=lit, shade=shade)
    return img, light


def _paint_stars(canvas: _Canvas, img: F32, rng: np.random.Generator, bottom: float, count: int) -> None:
    # Positions in normalised units, drawn before anything else, so the land covers low stars.
    us = rng.uniform(_U_CENTRE - 2.0, _U_CENTRE + 2.0, count)
    vs = rng.uniform(0.0, bottom, count) ** 1.3
    bright = rng.uniform(0.25, 1.0, count) ** 2 * 230
    xs = np.round((us - _U_CENTRE) * canvas.h + canvas.w / 2).astype(np.int64)
    ys = np.round(vs * canvas.h).astype(np.int64)
    keep = (xs >= 0) & (xs < canvas.w) & (ys >= 0) & (ys < canvas.h)
    fade = (1 - vs[keep] / bottom) ** 0.5  # fewer visible near the hazy horizon
    np.add.at(img, (ys[keep], xs[keep]), (bright[keep] * fade)[:, None])


def _paint_clouds(
    canvas: _Canvas, img: F32, rng: np.random.Generator, bottom: float, cover: float, lit: RGB, shade: RGB
) -> None:
    n = _noise2d(rng, canvas, 3, 5, stretch=3.0)
    density = _smoothstep(0.35 - cover * 0.5, 0.75 - cover * 0.4, n * 0.5 + 0.5)
    band = _smoothstep(0.0, 0.15, canvas.ys[:, None]) * (1 - _smoothstep(bottom * 0.55, bottom, canvas.ys[:, None]))
    alpha = density * band * 0.85
    # Clouds are lit from above: denser parts show their shaded bellies.
    tone = _smoothstep(0.3, 0.9, density)[..., None]
    colour = np.asarray(lit, np.float32) * (1 - tone * 0.6) + np.asarray(shade, np.float32) * tone * 0.6
    img += (colour - img) * alpha[..., None]


def _finish(canvas: _Canvas, img: F32, rng: np.random.Generator) -> None:
    # A gentle vignette and a little grain: cinematic, and the grain stops banding after H.264.
    dx = (np.arange(canvas.w, dtype=np.float32) + 0.5) / canvas.w - 0.5
    dy = (np.arange(canvas.h, dtype=np.float32) + 0.5) / canvas.h - 0.5
    vignette = 1 - 0.32 * (dx[None, :] ** 2 + dy[:, None] ** 2) ** 1.2 * 2.2
    img *= vignette[..., None]
    img += rng.normal(0.0, 1.6, (canvas.h, canvas.w, 1)).astype(np.float32)


# --- terrains ---------------------------------------------------------------------------------


def _ridge_layer(
    canvas: _Canvas,
    img: F32,
    light: _Light,
    rng: np.random.Generator,
    *,
    base: float,
    height: float,
    colour: RGB,
    haze: float,
    freq: float,
) -> F32:
    """One range of rolling hills lit from the side: returns its ridge line (y per column)."""
    profile = _noise1d(rng, canvas.us, freq, 5) * 0.5 + 0.5
    ridge = (base - height * profile).astype(np.float32)
    row0, mask = _below(canvas, ridge)
    depth = (canvas.ys[row0:, None] - ridge[None, :]) / max(height, 1e-3)
    body = np.asarray(_mix(colour, light.haze, haze), np.float32)
    # Slopes turned to the light are brighter, fading down the face.
    slope = np.gradient(ridge, canvas.px).astype(np.float32)
    facing = np.tanh(slope * light.side * 1.6).astype(np.float32)
    shade = facing[None, :] * np.exp(-np.clip(depth, 0, None) * 2.2) * 0.25
    colour_map = body[None, None, :] * (1 + shade[..., None])
    mist = _smoothstep(0.35, 1.6, depth)[..., None] * haze * 0.8  # valleys sink into the haze
    colour_map = colour_map + (np.asarray(light.haze, np.float32) - colour_map) * mist
    region = img[row0:]
    region += (colour_map - region) * mask[..., None]
    return ridge


def _mountain_range(
    canvas: _Canvas,
    img: F32,
    light: _Light,
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
    cs = rng.uniform(_U_CENTRE - 1.25, _U_CENTRE + 1.25, peaks)
    cs[0] = _U_CENTRE + float(rng.uniform(-0.3, 0.3))  # the main summit stays in frame
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
    roughness = _noise1d(rng, u, 5.0, 6, gain=0.6) * rugged * (0.3 + silhouette)
    floor = 0.12 + 0.08 * _noise1d(rng, u, 1.5, 3)  # foothills: the valleys never reach the base
    elev = np.maximum(silhouette, floor) + roughness
    ridge: F32 = np.asarray(base - height * elev, dtype=np.float32)
    row0, mask = _below(canvas, ridge)
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
    gully = _noise1d(rng, azimuth, 9.0, 4, gain=0.6) * np.clip((hs[owner] - level) * 5, 0, 1)
    tone = _smoothstep(-0.1, 0.15, (lambert + gully * gullies).astype(np.float32))[..., None]
    sunny = np.asarray(_mix(_mix(colour, (255, 236, 210), 0.25), light.haze, haze), np.float32)
    dark = shadow_colour or _mix(colour, (40, 50, 80), 0.35)
    shadow = np.asarray(_mix(dark, light.haze, haze), np.float32)
    rock = shadow + (sunny - shadow) * tone
    if snow_level < 1:
        line = snow_level - gully * 0.3 + _noise2d(rng, canvas, 40, 2)[row0:] * 0.015
        snow = _smoothstep(-0.006, 0.006, (level - line).astype(np.float32))[..., None]
        snow_lit = np.asarray(_mix((250, 250, 255), light.haze, haze * 0.4), np.float32)
        snow_shadow = np.asarray(_mix((150, 168, 208), light.haze, haze * 0.4), np.float32)
        rock = rock + (snow_shadow + (snow_lit - snow_shadow) * tone - rock) * snow
    mist = _smoothstep(0.3, -0.05, level)[..., None] * (0.3 + haze * 0.6)
    rock = rock + (np.asarray(light.haze, np.float32) - rock) * mist
    region = img[row0:]
    region += (rock - region) * mask[..., None]
    return ridge


def _tree_fringe(canvas: _Canvas, rng: np.random.Generator, ridge: F32, height: float, density: int) -> F32:
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


def _fill_ridge(canvas: _Canvas, img: F32, ridge: F32, top: RGB, bottom: RGB) -> None:
    row0, mask = _below(canvas, ridge)
    fade = _smoothstep(float(ridge.min()), 1.0, canvas.ys[row0:])[:, None]
    col = np.asarray(top, np.float32) + (np.asarray(bottom, np.float32) - np.asarray(top, np.float32)) * fade
    region = img[row0:]
    region += (col[:, None, :] - region) * mask[..., None]


def _paint_mountains(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    rock = (70, 74, 96) if night else (112, 112, 124)
    _mountain_range(
        canvas, img, light, rng, base=hz + 0.02, height=0.42, peaks=7, colour=rock, haze=0.45, snow_level=0.55
    )
    _mountain_range(
        canvas,
        img,
        light,
        rng,
        base=hz + 0.1,
        height=0.24,
        peaks=6,
        colour=_mix(rock, (60, 72, 66), 0.55),
        haze=0.22,
        snow_level=0.85,
    )
    green = (26, 44, 46) if night else (44, 72, 52)
    if scene.water:
        _lake(canvas, img, rng, hz + 0.13, light)
        edge = np.abs(canvas.us - _U_CENTRE) / (canvas.aspect / 2 + 1e-6)
        ridge = (1.02 - 0.16 * edge**2.5 - 0.03 * _noise1d(rng, canvas.us, 1.8, 4)).astype(np.float32)
        ridge = _tree_fringe(canvas, rng, ridge, 0.09, 60)
        _fill_ridge(canvas, img, ridge, _mix(green, light.haze, 0.1), (12, 20, 16))
        return
    ridge = (hz + 0.2 - 0.07 * (_noise1d(rng, canvas.us, 1.4, 4) * 0.5 + 0.5)).astype(np.float32)
    ridge = _tree_fringe(canvas, rng, ridge, 0.07, 60)
    _fill_ridge(canvas, img, ridge, _mix(green, light.haze, 0.25), _mix(green, light.haze, 0.1))
    ridge = (hz + 0.28 - 0.06 * (_noise1d(rng, canvas.us, 1.2, 4) * 0.5 + 0.5)).astype(np.float32)
    ridge = _tree_fringe(canvas, rng, ridge, 0.1, 45)
    _fill_ridge(canvas, img, ridge, _mix(green, (20, 30, 24), 0.4), (14, 22, 18))


def _lake(canvas: _Canvas, img: F32, rng: np.random.Generator, line: float, light: _Light) -> None:
    """Mirror everything above `line` into still water below it, darker and slightly rippled."""
    row0 = int(line * canvas.h)
    rows = np.arange(row0, canvas.h)
    src = np.clip(2 * row0 - rows, 0, canvas.h - 1)
    ripple = np.sin(rows * 0.9 + rng.uniform(0, 6.28)) * (rows - row0) / canvas.h * canvas.h * 0.004
    reflected = np.empty_like(img[row0:])
    xs = np.arange(canvas.w)
    for k, (r, s) in enumerate(zip(src, ripple, strict=True)):
        reflected[k] = img[r, np.clip(xs + round(float(s)), 0, canvas.w - 1)]
    water = np.asarray(_mix((30, 60, 90), light.haze, 0.3), np.float32)
    depth = _smoothstep(0.0, 1.0, (canvas.ys[row0:] - line) / max(1e-3, 1 - line))[:, None, None]
    img[row0:] = reflected * (0.78 - 0.2 * depth) + water * (0.22 + 0.2 * depth)


def _paint_hills(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    greens: list[RGB] = [(96, 132, 104), (70, 116, 66), (56, 98, 48), (40, 76, 36)]
    if night:
        greens = [_mix(g, (10, 16, 30), 0.6) for g in greens]
    for k, g in enumerate(greens):
        _ridge_layer(
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
        _lake(canvas, img, rng, hz + 0.2, light)


def _paint_forest(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    night = scene.sky == "night"
    layers: list[RGB] = [(86, 118, 96), (52, 88, 62), (32, 64, 42), (18, 40, 26)]
    if night:
        layers = [_mix(c, (8, 14, 26), 0.6) for c in layers]
    for k, colour in enumerate(layers):
        base = hz - 0.04 + k * 0.11
        ridge = (base - 0.08 * (_noise1d(rng, canvas.us, 0.9 + 0.3 * k, 4) * 0.5 + 0.5)).astype(np.float32)
        ridge = _tree_fringe(canvas, rng, ridge, 0.05 + 0.035 * k, 70 - 10 * k)
        haze = 0.55 - 0.17 * k
        col = _mix(colour, light.haze, max(haze, 0.0))
        _fill_ridge(canvas, img, ridge, col, _mix(col, light.haze, 0.25))
        if k < 3:  # morning mist rising between the rows of trees
            row0, _ = _below(canvas, ridge)
            mist = (_smoothstep(base - 0.02, base + 0.1, canvas.ys[row0:]) * 0.35)[:, None]
            _blend(img, np.broadcast_to(mist, (canvas.h - row0, canvas.w)).copy(), light.haze, row0)
    if scene.water:
        _lake(canvas, img, rng, hz + 0.3, light)


def _paint_snow(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    _mountain_range(
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
        ridge = (base - 0.07 * (_noise1d(rng, canvas.us, 1.0 + 0.3 * k, 4) * 0.5 + 0.5)).astype(np.float32)
        if k < 2:
            trees = _tree_fringe(canvas, rng, ridge, 0.05 + 0.04 * k, 18 + 10 * k)
            _fill_ridge(canvas, img, trees, _mix((34, 60, 58), light.haze, 0.5 - 0.2 * k), (40, 60, 64))
        _fill_ridge(canvas, img, ridge, _mix((236, 242, 252), light.haze, 0.2), (200, 214, 236))
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
    _blend(img, np.clip(flakes * 0.8, 0, 0.9), (250, 252, 255))


def _paint_desert(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    sand: RGB = (232, 172, 110)
    shade: RGB = (160, 96, 66)
    if scene.sky == "night":
        sand, shade = _mix(sand, (30, 34, 70), 0.7), _mix(shade, (14, 16, 40), 0.7)
    for k in range(3):
        _mountain_range(
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


def _paint_ocean(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    hz = canvas.horizon
    row0 = int(hz * canvas.h)
    ys = canvas.ys[row0:]
    depth = np.clip((ys - hz) / (1 - hz), 0, 1)[:, None]
    deep = {"night": (8, 16, 36), "sunset": (40, 40, 80), "dawn": (50, 70, 110)}.get(scene.sky, (16, 62, 110))
    near = np.asarray(_mix(light.haze, (255, 255, 255), 0.1), np.float32)
    sea = near + (np.asarray(deep, np.float32) - near) * (depth**0.4)[..., None]
    # Waves: horizontal streaks that shrink towards the horizon (perspective).
    z = 1.0 / (ys - hz + 0.01)
    waves = _noise2d(rng, canvas, 40, 3, stretch=8.0)[row0:]
    streak = np.sin(z[:, None] * 1.2 + waves * 6 + canvas.us[None, :] * 3)
    sea = sea + (streak * 10 * (0.3 + depth))[..., None]
    # Glitter in a column under the light, wider near the viewer.
    spread = 0.03 + 0.25 * depth
    column = np.exp(-(((canvas.us[None, :] - light.u) / spread) ** 2))
    sparkle = np.clip(streak, 0, 1) ** 3 * column * (0.5 if scene.sky == "night" else 1.0)
    sea = sea + (np.asarray(_SUN.get(scene.sky, ((255, 255, 255), 0))[0], np.float32) - sea) * sparkle[..., None] * 0.8
    img[row0:] = sea
    if scene.beach:
        shore = (0.84 + 0.03 * _noise1d(rng, canvas.us, 1.5, 4)).astype(np.float32)
        r0, mask = _below(canvas, shore)
        foam = np.clip(1 - np.abs(canvas.ys[r0:, None] - shore[None, :]) * canvas.h / (canvas.h * 0.01), 0, 1)
        sand = _gradient(canvas.ys[r0:], [(0.8, (214, 184, 140)), (1.0, (190, 150, 104))])
        region = img[r0:]
        region += (sand - region) * mask[..., None]
        region += (np.asarray((250, 250, 246), np.float32) - region) * (foam * 0.7)[..., None]


def _paint_city(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
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
        row0, mask = _below(canvas, ridge)
        body: RGB = (22, 26, 44) if night else (92, 106, 128)
        col = np.asarray(_mix(body, light.haze, tone), np.float32)
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
        _lake(canvas, img, rng, hz + 0.1, light)
    else:
        _fill_ridge(canvas, img, front, (18, 20, 30) if night else (70, 76, 86), (8, 10, 16))


def _paint_space(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    img[:] = _gradient(canvas.ys, [(0.0, (4, 4, 16)), (1.0, (14, 10, 34))])
    a = _noise2d(rng, canvas, 3, 6) * 0.5 + 0.5
    b = _noise2d(rng, canvas, 4, 6) * 0.5 + 0.5
    hue_a = np.asarray(rng.choice([(120, 60, 200), (40, 110, 220), (200, 60, 140)]), np.float32)
    hue_b = np.asarray(rng.choice([(255, 120, 90), (80, 200, 220), (240, 200, 120)]), np.float32)
    img += hue_a * (_smoothstep(0.45, 0.85, a) ** 1.5 * 0.55)[..., None]
    img += hue_b * (_smoothstep(0.55, 0.9, b) ** 2 * 0.4)[..., None]
    _paint_stars(canvas, img, rng, 1.0, count=900)
    disc, _ = _disc(canvas, light.u, 0.72, 0.16)
    # A planet off to one side, lit from the middle of the frame and dark on its far side.
    shade = np.clip(0.5 - (canvas.us[None, :] - light.u) * light.side * 4, 0.05, 1.0)
    planet = np.asarray((170, 140, 200), np.float32) * shade[..., None]
    _blend(img, disc, planet)


_PALETTES: tuple[tuple[RGB, RGB, RGB], ...] = (
    ((24, 40, 92), (120, 70, 160), (250, 150, 120)),
    ((10, 60, 80), (30, 140, 150), (220, 230, 190)),
    ((40, 20, 60), (200, 70, 110), (255, 190, 120)),
    ((20, 30, 40), (60, 110, 140), (180, 210, 220)),
    ((60, 30, 20), (190, 100, 60), (250, 220, 160)),
)


def _paint_abstract(canvas: _Canvas, img: F32, scene: Scene, light: _Light, rng: np.random.Generator) -> None:
    top, mid, low = _PALETTES[int(rng.integers(len(_PALETTES)))]
    tilt = float(rng.uniform(-0.25, 0.25))
    t = np.clip(canvas.ys[:, None] + (canvas.us[None, :] - _U_CENTRE) * tilt, 0, 1)
    grad = _gradient(t.ravel().astype(np.float32), [(0.0, top), (0.55, mid), (1.0, low)]).reshape(canvas.h, canvas.w, 3)
    img[:] = grad
    # Soft bokeh discs of light, drawn large and blurred by their own falloff.
    for _ in range(14):
        cu = _U_CENTRE + float(rng.uniform(-1, 1)) * canvas.aspect / 2
        cy = float(rng.uniform(0, 1))
        r = float(rng.uniform(0.04, 0.16))
        _, d = _disc(canvas, cu, cy, r)
        soft = np.clip(1 - d / r, 0, 1) ** 0.8 * float(rng.uniform(0.08, 0.22))
        _blend(img, soft.astype(np.float32), _mix(low, (255, 255, 255), 0.5))


_TERRAINS: dict[str, Callable[[_Canvas, F32, Scene, _Light, np.random.Generator], None]] = {
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
