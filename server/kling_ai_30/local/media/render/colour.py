"""Colour for the renderer: frames are composed in the encoder's own format, YUV 4:2:0 (BT.709, limited range).

Each still is converted once, and every frame then warps three 8-bit planes instead of an RGB
image, with no per-frame colour conversion: that roughly halves the per-frame work at 1080p.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]
Planes = tuple[U8, U8, U8]

BLACK = (16, 128, 128)  # Y, U, V of black in limited range
KR, KB = 0.2126, 0.0722  # BT.709 luma coefficients


def yuv(rgb: F32) -> tuple[F32, F32, F32]:
    """BT.709 limited-range Y, U, V (float) from RGB in 0..255 (any leading shape, channels last)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = KR * r + (1 - KR - KB) * g + KB * b
    u = (b - y) / (2 * (1 - KB))
    v = (r - y) / (2 * (1 - KR))
    return (
        (16 + y * (219 / 255)).astype(np.float32),
        (128 + u * (224 / 255)).astype(np.float32),
        (128 + v * (224 / 255)).astype(np.float32),
    )


def to_plane(values: F32) -> Image.Image:
    """An 8-bit greyscale image from float plane values (rounded, clipped)."""
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), "L")


def half(values: F32, weights: F32 | None = None) -> F32:
    """2x2 average (weighted by `weights` when given) of an even-sized plane."""
    h, w = values.shape
    if weights is None:
        return np.asarray(values.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), dtype=np.float32)
    num = (values * weights).reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3))
    den = weights.reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3))
    flat = values.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return np.asarray(np.where(den > 1e-6, num / np.maximum(den, 1e-6), flat), dtype=np.float32)
