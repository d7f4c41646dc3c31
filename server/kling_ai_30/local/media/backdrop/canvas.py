"""The pixel grid the backdrop is painted on, in normalised coordinates, and the primitives that paint it.

Coordinates are normalised (height = 1, u = x / height), and noise lattices are fixed in that
space, so the same prompt gives the same scene at 144 px and at 1080 px for one aspect ratio.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image

F32 = NDArray[np.float32]
RGB = tuple[float, float, float]

U_CENTRE = 2.0  # the canvas centre in noise space; noise lattices span u in [0, 4]


class Canvas:
    """Pixel grid with normalised coordinates: y in [0, 1] top to bottom, u = x / height."""

    def __init__(self, width: int, height: int) -> None:
        self.w = width
        self.h = height
        self.ys: F32 = ((np.arange(height, dtype=np.float32) + 0.5) / height).astype(np.float32)
        self.us: F32 = ((np.arange(width, dtype=np.float32) + 0.5 - width / 2) / height + U_CENTRE).astype(np.float32)
        self.aspect = width / height
        self.px = 1.0 / height  # one pixel in normalised units
        self.portrait = height > width
        # A portrait frame shows more sky above the land, so the horizon sits a little lower.
        self.horizon = 0.64 if self.portrait else 0.62


def noise1d(rng: np.random.Generator, u: F32, freq: float, octaves: int, gain: float = 0.5) -> F32:
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


def noise2d(rng: np.random.Generator, canvas: Canvas, cells: int, octaves: int, stretch: float = 1.0) -> F32:
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


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend of two colours, `t` of the way from `a` to `b`."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def smoothstep(lo: float, hi: float, x: F32) -> F32:
    """0 below `lo`, 1 above `hi`, a smooth S-curve between."""
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), dtype=np.float32)


def gradient(ys: F32, stops: list[tuple[float, RGB]]) -> F32:
    """Colour at each y from (position, colour) stops: shape (len(ys), 1, 3)."""
    pos = [p for p, _ in stops]
    out = np.stack([np.interp(ys, pos, [c[ch] for _, c in stops]) for ch in range(3)], axis=-1)
    return out.astype(np.float32)[:, None, :]


def blend(img: F32, mask: F32, colour: F32 | RGB, row0: int = 0) -> None:
    """Paint `colour` over img[row0:] with coverage `mask` (rows row0.. of the canvas)."""
    region = img[row0:]
    m = mask[..., None]
    col = np.asarray(colour, dtype=np.float32)
    region += (col - region) * m


def below(canvas: Canvas, ridge: F32) -> tuple[int, F32]:
    """Anti-aliased coverage of everything below a ridge line: (first row, mask of rows row0..)."""
    row0 = max(0, int(np.floor(float(ridge.min()) * canvas.h)) - 1)
    ys = canvas.ys[row0:, None]
    mask = np.clip((ys - ridge[None, :]) * canvas.h + 0.5, 0.0, 1.0).astype(np.float32)
    return row0, mask


def disc_coverage(canvas: Canvas, cx: float, cy: float, r: float) -> tuple[F32, F32]:
    """Coverage of a disc and the distance field to its centre, both (h, w)."""
    d = np.sqrt((canvas.us[None, :] - cx) ** 2 + (canvas.ys[:, None] - cy) ** 2).astype(np.float32)
    return np.clip((r - d) / canvas.px + 0.5, 0.0, 1.0).astype(np.float32), d
