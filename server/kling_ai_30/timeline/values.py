"""Reading loose JSON values: a number, a string, a list or an id from the first key that holds one.

The draft's keys are not documented publicly, so every reader takes a list of plausible names and
never raises: a value of the wrong type is passed over, a non-finite number is no number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

ID_KEYS = ("id", "sid", "segment_id", "segmentId", "track_id", "trackId", "uid", "uuid")
"""Where a track or segment may keep its id."""
MAX_SHOWN = 80  # a label or text in a one-line summary


def meta_of(raw: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A track's or segment's metadata (``m``, ``meta`` or ``metadata``), or an empty mapping."""
    meta = raw.get("m")
    if isinstance(meta, Mapping):
        return meta
    meta = raw.get("meta") or raw.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def first_list(source: Mapping[Any, Any], keys: Iterable[str]) -> list[object]:
    """The first list under one of ``keys``, or an empty list."""
    for key in keys:
        value = source.get(key)
        if isinstance(value, list):
            return value
    return []


def first_str(source: Mapping[Any, Any], keys: Iterable[str]) -> str | None:
    """The first non-blank string (or finite number, as text) under one of ``keys``, on one line."""
    for key in keys:
        value = source.get(key)
        if isinstance(value, str):
            cleaned = clean(value)
            if cleaned:
                return cleaned
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return str(value)
    return None


def first_id(source: Mapping[Any, Any]) -> str | None:
    """The id under the first of ``ID_KEYS`` that holds a string or an integer."""
    for key in ID_KEYS:
        value = source.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def as_number(value: object) -> float | None:
    """A finite number from a JSON number or a numeric string; never a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value) if abs(value) < 1e300 else math.inf
    elif isinstance(value, str) and 0 < len(value) <= 32:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def file_stem(source: str | None) -> str | None:
    """A file's name without its extension, from a path or URL (``…/golden_hour.webm`` -> ``golden_hour``)."""
    if not source or source.startswith("data:"):
        return None
    try:
        path = urlsplit(source).path or source
    except ValueError:
        path = source
    name = unquote(re.split(r"[\\/]", path.rstrip("/\\"))[-1])
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return clean(stem)


def clean(text: str) -> str | None:
    """One line: whitespace runs (newlines included) collapsed; ``None`` when nothing is left."""
    cleaned = " ".join(text.split())
    return cleaned or None


def shorten(text: str | None, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis; empty for None."""
    if text is None:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
