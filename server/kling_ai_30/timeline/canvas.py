"""The canvas (aspect ratio, resolution) from the session state or the draft, and how it changed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .draft import draft_root
from .model import Change, ChangeKind
from .values import as_number, meta_of


@dataclass(frozen=True)
class Canvas:
    """The canvas's size and aspect ratio, each None when unknown."""

    width: int | None
    height: int | None
    ratio: str | None

    @property
    def size(self) -> str | None:
        return f"{self.width}×{self.height}" if self.width and self.height else None


_COMMON_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "4:5", "5:4", "21:9", "9:21", "3:2", "2:3", "2:1", "1:2")


def read_canvas(canvas: object, draft: object) -> Canvas:
    """Canvas size and ratio from ``state.canvas_config``, else from the draft's ``m``."""
    sources: list[Mapping[Any, Any]] = []
    if isinstance(canvas, Mapping):
        sources.append(canvas)
    root = draft_root(draft)
    if root is not None:
        sources.append(meta_of(root))

    def pick(keys: Iterable[str]) -> object:
        for source in sources:
            for key in keys:
                if source.get(key) is not None:
                    return source.get(key)
        return None

    width = _dimension(pick(("width", "w")))
    height = _dimension(pick(("height", "h")))
    ratio = _ratio(pick(("ratio", "aspect_ratio", "aspectRatio", "aspect")))
    if ratio is None and width and height:
        ratio = _ratio_of(width, height)
    return Canvas(width, height, ratio)


def _dimension(value: object) -> int | None:
    number = as_number(value)
    if number is None or not 0 < number <= 100_000:
        return None
    return round(number)


def _ratio(value: object) -> str | None:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,5})\s*[:/x×]\s*(\d{1,5})\s*", value)
        if match and int(match[1]) and int(match[2]):
            return _ratio_of(int(match[1]), int(match[2]))
    number = as_number(value)
    if number is not None and number > 0:
        for common in _COMMON_RATIOS:
            w, h = (int(p) for p in common.split(":"))
            if abs(number - w / h) <= 0.01 * (w / h):
                return common
    return None


def _ratio_of(width: int, height: int) -> str:
    divisor = math.gcd(width, height)
    w, h = width // divisor, height // divisor
    if max(w, h) <= 32:
        return f"{w}:{h}"
    for common in _COMMON_RATIOS:  # 1366×768 is "16:9" to a person, not "683:384"
        cw, ch = (int(p) for p in common.split(":"))
        if abs(width / height - cw / ch) <= 0.01 * (cw / ch):
            return common
    return f"{width}:{height}"


def canvas_changes(old: Canvas, new: Canvas) -> list[Change]:
    """The canvas change, if any: a new aspect ratio, else a new resolution."""
    if old.ratio and new.ratio and old.ratio != new.ratio:
        after = f"{new.ratio} ({new.size})" if new.size else new.ratio
        return [Change(ChangeKind.CHANGED, "Canvas", field="aspect_ratio", before=old.ratio, after=after)]
    if old.size and new.size and old.size != new.size:
        return [Change(ChangeKind.CHANGED, "Canvas", field="resolution", before=old.size, after=new.size)]
    return []
