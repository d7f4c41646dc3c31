"""One plane of a text overlay, precomposed once in 8-bit fixed point so each frame costs four array passes.

A frame mixes it as `under * keep + tint` (then rounds and drops the 8 fraction bits): `keep` is
256 × (1 − coverage) and `tint` the colour × coverage × 256, both worked out when the overlay is
rasterised. Fades scale the two for the few frames they last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kling_ai_30.local.media.render.colour import F32, U8

U16 = NDArray[np.uint16]

ONE = 256  # fixed-point 1.0: 8 fraction bits keep 255 × 256 + rounding within 16 bits
HALF = ONE // 2


@dataclass(frozen=True)
class Layer:
    """A plane of an overlay at (x, y) in that plane: the part of what is under it kept, and the colour added."""

    x: int
    y: int
    keep: U16  # ONE × (1 − coverage)
    tint: U16  # colour × coverage × ONE, plus HALF so the shift rounds

    @classmethod
    def of(cls, colour: F32, coverage: F32, x: int, y: int) -> Layer:
        """The layer for a colour plane and its coverage (0-1), both the overlay's size."""
        weight = np.rint(coverage * ONE)
        return cls(
            x=x,
            y=y,
            keep=(ONE - weight).astype(np.uint16),
            tint=(np.rint(colour * weight) + HALF).astype(np.uint16),
        )

    def apply(self, plane: U8, strength: float, scratch: U16) -> None:
        """Mix the layer into `plane` at `strength` (0-1), using `scratch` (at least the layer's size) for the sums."""
        h, w = self.keep.shape
        region = plane[self.y : self.y + h, self.x : self.x + w]
        keep, tint = self.keep, self.tint
        if strength < 1:  # a fade: the same mix with less coverage, for a handful of frames
            keep = (ONE + 0.5 - (ONE - keep.astype(np.float32)) * strength).astype(np.uint16)
            tint = ((tint.astype(np.float32) - HALF) * strength + (HALF + 0.5)).astype(np.uint16)
        sums = scratch[:h, :w]
        np.multiply(region, keep, out=sums)
        np.add(sums, tint, out=sums)
        np.right_shift(sums, 8, out=sums)
        np.copyto(region, sums, casting="unsafe")
