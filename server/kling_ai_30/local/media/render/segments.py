"""Reading a draft tolerantly: its tracks, each segment's time span and metadata, numbers that may be strings.

A draft comes from the client (api notes §6.1), so odd entries are skipped rather than fatal:
a track without a type, a segment without a duration, a volume of "35" meaning 35 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_DURATION_S = 600.0  # a guard against absurd drafts; the product makes ~30 s videos

VIDEO_TRACK, AUDIO_TRACK, TEXT_TRACK = 0, 1, 7
TRACK_KINDS = (VIDEO_TRACK, AUDIO_TRACK, TEXT_TRACK)


def meta(obj: object) -> Mapping[str, Any]:
    """The `m` (metadata) mapping of a draft, track or segment; empty when missing or odd."""
    m = obj.get("m") if isinstance(obj, Mapping) else None
    return m if isinstance(m, Mapping) else {}


def number(value: object) -> float | None:
    """A finite float from a number or a numeric string; None for anything else (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def draft_title(draft: Mapping[str, Any]) -> str:
    """The draft's title, stripped; empty when it has none."""
    title = meta(draft).get("title")
    return title.strip() if isinstance(title, str) else ""


@dataclass(frozen=True)
class Span:
    """A segment's time on the timeline, in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def span_of(segment: Mapping[str, Any]) -> Span | None:
    """A segment's span in seconds, clipped to the longest render; None without a duration."""
    start = number(segment.get("st"))
    dur = number(segment.get("d"))
    if start is None or dur is None or dur <= 0:
        return None
    start_s, end_s = max(0.0, start / 1000), min(MAX_DURATION_S, (start + dur) / 1000)
    return Span(start_s, end_s) if end_s > start_s else None


# (track type, track metadata, usable segments with their spans)
Track = tuple[int, Mapping[str, Any], list[tuple[Mapping[str, Any], Span]]]


def draft_tracks(draft: Mapping[str, Any]) -> Iterator[Track]:
    """(track type, track metadata, usable segments) for each track; odd entries are skipped."""
    tracks = draft.get("t")
    if not isinstance(tracks, Sequence) or isinstance(tracks, str):
        return
    for track in tracks:
        if not isinstance(track, Mapping):
            continue
        kind = number(track.get("tt"))
        segments = track.get("sg")
        if kind is None or not isinstance(segments, Sequence) or isinstance(segments, str):
            continue
        spans = [(seg, span_of(seg)) for seg in segments if isinstance(seg, Mapping)]
        yield int(kind), meta(track), [(seg, span) for seg, span in spans if span is not None]


def fade_s(m: Mapping[str, Any], key: str) -> float:
    """A fade length from milliseconds in metadata, in seconds (0 when absent)."""
    value = number(m.get(key))
    return max(0.0, value / 1000) if value is not None else 0.0


def speed_of(m: Mapping[str, Any]) -> float:
    """The playback speed in metadata, kept within 0.1-4 (1 when absent)."""
    value = number(m.get("speed"))
    return min(4.0, max(0.1, value)) if value is not None and value > 0 else 1.0


def volume_of(m: Mapping[str, Any]) -> float:
    """The volume in metadata as 0-1 (1 when absent)."""
    value = number(m.get("volume"))
    if value is None:
        return 1.0
    if 1 < value <= 100:  # "35" where 0.35 was meant: the timeline summary shows volume as a percentage
        value /= 100
    return min(1.0, max(0.0, value))
