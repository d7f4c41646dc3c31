"""Reading the backend's draft JSON into tracks and segments, tolerantly.

The draft uses short keys (reference/nemo-api.md §6.1): ``t`` tracks, ``tt`` track type (0 video,
1 audio, 7 text), ``sg`` segments, ``d`` duration in ms, ``m`` metadata. Segment keys are not
documented anywhere public, so every field is read from a list of plausible names (the local
backend's first) and anything unreadable is skipped or shown as unknown.

Times are milliseconds. Seconds are assumed only where that is unambiguous: a key that says so
(``start_s``), or segment ends that, read as seconds, land on the draft's total duration in ms
while, read as ms, they would be a thousandth of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import Segment, Track, TrackKind
from .values import ID_KEYS, as_number, clean, file_stem, first_id, first_list, first_str, meta_of, shorten

_MS, _SECONDS, _EITHER = 1.0, 1000.0, 0.0  # a key's unit; _EITHER: decided per draft


# Tolerated key names, in order of preference; the local backend's come first.
_START_KEYS = (
    ("st", _EITHER),
    ("s", _EITHER),
    ("start", _EITHER),
    ("start_ms", _MS),
    ("startMs", _MS),
    ("startTime", _EITHER),
    ("start_time", _EITHER),
    ("offset", _EITHER),
    ("b", _EITHER),
    ("in", _EITHER),
    ("start_s", _SECONDS),
    ("startSeconds", _SECONDS),
)


_DURATION_KEYS = (
    ("d", _EITHER),
    ("dur", _EITHER),
    ("duration", _EITHER),
    ("length", _EITHER),
    ("duration_ms", _MS),
    ("durationMs", _MS),
    ("duration_s", _SECONDS),
    ("durationSeconds", _SECONDS),
)


_END_KEYS = (
    ("e", _EITHER),
    ("end", _EITHER),
    ("end_ms", _MS),
    ("endMs", _MS),
    ("endTime", _EITHER),
    ("end_time", _EITHER),
    ("out", _EITHER),
    ("end_s", _SECONDS),
    ("endSeconds", _SECONDS),
)


_LABEL_KEYS = ("name", "title", "label")


_TEXT_KEYS = ("text", "content", "tx")


_VOLUME_KEYS = ("volume", "vol", "v")


_SOURCE_KEYS = ("src", "url", "source", "uri", "path", "file")


_TRACK_TYPE_KEYS = ("tt", "type", "track_type", "trackType", "kind")


_TRACK_LIST_KEYS = ("t", "tracks")


_SEGMENT_LIST_KEYS = ("sg", "segments", "clips", "items")


_DRAFT_DURATION_KEYS = (("d", _MS), ("duration", _MS), ("duration_ms", _MS), ("dur", _MS))


# Keys whose change is bookkeeping, not something a person sees.
_HOUSEKEEPING = frozenset(
    {
        "m",
        "meta",
        "metadata",
        "index",
        "idx",
        "version",
        "ts",
        "timestamp",
        "created_at",
        "updated_at",
        "createdAt",
        "updatedAt",
    }
)


_KNOWN_SEGMENT_KEYS = frozenset(
    {k for k, _ in _START_KEYS + _DURATION_KEYS + _END_KEYS}
    | set(ID_KEYS + _LABEL_KEYS + _TEXT_KEYS + _VOLUME_KEYS + _SOURCE_KEYS + ("prompt",))
    | _HOUSEKEEPING
)


_MAX_MS = 10**12  # ~30 years: anything larger is garbage, and keeps int() away from inf


_MAX_DETAILS = 20


_MAX_DETAIL = 40  # one metadata value in a change line


_TT_KINDS = {0: TrackKind.VIDEO, 1: TrackKind.AUDIO, 7: TrackKind.TEXT}


# An unnamed track's label: the skill text's summary calls audio tracks "BGM" and text tracks
# "Title" ("2. BGM: Lo-fi (0-10s, 35%) 3. Title: ..."); names or styles override (voiceover, subtitle).
_KIND_DEFAULT_LABEL = {
    TrackKind.VIDEO: "Video",
    TrackKind.AUDIO: "BGM",
    TrackKind.TEXT: "Title",
    TrackKind.OTHER: "Track",
}


# A track's or segment's name -> its label; "subtitle" before "title", which it contains.
_NAME_HINTS: tuple[tuple[tuple[str, ...], str, TrackKind], ...] = (
    (("subtitle", "字幕"), "Subtitle", TrackKind.TEXT),
    (("caption",), "Caption", TrackKind.TEXT),
    (("title", "标题"), "Title", TrackKind.TEXT),
    (("text", "文字", "文本"), "Text", TrackKind.TEXT),
    (("bgm", "music", "音乐"), "BGM", TrackKind.AUDIO),
    (("audio", "voice", "narration", "sfx", "sound", "配音", "音频", "音效"), "Audio", TrackKind.AUDIO),
    (("video", "image", "clip", "visual", "main", "视频", "画面"), "Video", TrackKind.VIDEO),
)


def read_tracks(draft: object) -> tuple[Track, ...]:
    """The draft's tracks, read tolerantly; anything that is not a track is skipped."""
    root = draft_root(draft)
    if root is None:
        return ()
    raw_tracks = first_list(root, _TRACK_LIST_KEYS)
    scale = _either_scale(root, raw_tracks)
    return tuple(_read_track(raw, scale) for raw in raw_tracks if isinstance(raw, Mapping))


def is_exportable(draft: object) -> bool:
    """True when at least one track has a segment (the skill text's pre-export check)."""
    return any(track.segments for track in read_tracks(draft))


def draft_root(draft: object) -> Mapping[Any, Any] | None:
    """The draft mapping itself, from a mapping, JSON text or a whole state object; None when unreadable."""
    # Some proxies hand the draft over as a JSON string; a state object may be passed whole.
    if isinstance(draft, str):
        try:
            draft = json.loads(draft)
        except (ValueError, RecursionError):
            return None
    if not isinstance(draft, Mapping):
        return None
    if not any(key in draft for key in _TRACK_LIST_KEYS) and isinstance(draft.get("draft"), Mapping):
        inner: Mapping[Any, Any] = draft["draft"]
        return inner
    return draft


def _read_track(raw: Mapping[Any, Any], scale: float) -> Track:
    meta = meta_of(raw)
    name = first_str(meta, _LABEL_KEYS) or first_str(raw, ("name", "label"))
    raw_segments = [s for s in first_list(raw, _SEGMENT_LIST_KEYS) if isinstance(s, Mapping)]
    segments: list[Segment] = []
    previous_end = 0
    for raw_segment in raw_segments:
        segment = _read_segment(raw_segment, scale, previous_end)
        segments.append(segment)
        previous_end = segment.end_ms
    kind = _track_kind(raw, meta, name, raw_segments)
    return Track(
        kind=kind,
        label=_track_label(kind, name, raw_segments),
        segments=tuple(segments),
        id=first_id(raw),
    )


def _track_kind(
    raw: Mapping[Any, Any], meta: Mapping[Any, Any], name: str | None, segments: Sequence[Mapping[Any, Any]]
) -> TrackKind:
    for source in (raw, meta):
        for key in _TRACK_TYPE_KEYS:
            kind = _kind_of(source.get(key))
            if kind is not None:
                return kind
    hinted = _name_hint(name)
    if hinted is not None:
        return hinted[1]
    if segments and all(text_of(s) for s in segments):
        return TrackKind.TEXT
    return TrackKind.OTHER


def _kind_of(value: object) -> TrackKind | None:
    number = as_number(value)
    if number is not None:
        return _TT_KINDS.get(int(number), TrackKind.OTHER) if number.is_integer() else TrackKind.OTHER
    if isinstance(value, str):
        hinted = _name_hint(value)
        return hinted[1] if hinted is not None else None
    return None


def _track_label(kind: TrackKind, name: str | None, segments: Sequence[Mapping[Any, Any]]) -> str:
    hinted = _name_hint(name)
    if hinted is not None and hinted[1] is kind:
        return hinted[0]
    if kind in (TrackKind.TEXT, TrackKind.AUDIO):
        # A text segment's style ("subtitle") or an audio segment's kind or name ("bgm",
        # "Narration") names the track.
        for segment in segments:
            meta = meta_of(segment)
            for key in ("style", "kind", "type", "role", "name"):
                for source in (meta, segment):
                    value = source.get(key)
                    hinted = _name_hint(value if isinstance(value, str) else None)
                    if hinted is not None and hinted[1] is kind:
                        return hinted[0]
    return _KIND_DEFAULT_LABEL[kind]


def _name_hint(name: str | None) -> tuple[str, TrackKind] | None:
    if not name:
        return None
    lowered = name.lower()
    for words, label, kind in _NAME_HINTS:
        if any(word in lowered for word in words):
            return label, kind
    return None


def _read_segment(raw: Mapping[Any, Any], scale: float, previous_end: int) -> Segment:
    meta = meta_of(raw)
    start = _timing(raw, meta, _START_KEYS, scale)
    duration = _timing(raw, meta, _DURATION_KEYS, scale)
    end = _timing(raw, meta, _END_KEYS, scale)
    # A segment with no start follows the one before it, as clips on a track usually do.
    start_ms = start if start is not None else previous_end
    if duration is not None:
        end_ms = start_ms + duration
    elif end is not None:
        end_ms = end
    else:
        end_ms = start_ms
    source = first_str(raw, _SOURCE_KEYS) or first_str(meta, _SOURCE_KEYS)
    label = (
        first_str(meta, _LABEL_KEYS)
        or first_str(raw, _LABEL_KEYS)
        or first_str(meta, ("prompt",))
        or first_str(raw, ("prompt",))
        or file_stem(source)
    )
    return Segment(
        start_ms=start_ms,
        end_ms=max(end_ms, start_ms),
        label=label,
        text=text_of(raw),
        volume=_volume(raw, meta),
        source=source,
        id=first_id(raw),
        details=_details(raw, meta),
    )


def _timing(
    raw: Mapping[Any, Any], meta: Mapping[Any, Any], keys: Iterable[tuple[str, float]], scale: float
) -> int | None:
    for source in (raw, meta):
        for key, unit in keys:
            number = as_number(source.get(key))
            if number is None or number < 0:
                continue
            ms = number * (unit or scale)
            if ms > _MAX_MS:
                continue
            return round(ms)
    return None


def _either_scale(root: Mapping[Any, Any], raw_tracks: Sequence[object]) -> float:
    """1000 when the unit-less segment times are seconds, else 1 (the documented ms).

    Only when it is unambiguous: the largest end, read as seconds, matches the draft's total
    duration in ms, which read as ms it would miss by a factor of a thousand.
    """
    total = _timing(root, {}, _DRAFT_DURATION_KEYS, _MS)
    if total is None or total < 1000:
        return _MS
    largest = 0.0
    for track in raw_tracks:
        if not isinstance(track, Mapping):
            continue
        for segment in first_list(track, _SEGMENT_LIST_KEYS):
            if isinstance(segment, Mapping):
                largest = max(largest, _raw_end(segment))
    if largest > 0 and abs(largest * 1000 - total) <= max(1000.0, total * 0.02):
        return _SECONDS
    return _MS


def _raw_end(segment: Mapping[Any, Any]) -> float:
    def first(keys: Iterable[tuple[str, float]]) -> float | None:
        for key, unit in keys:
            number = as_number(segment.get(key))
            if number is not None and unit == _EITHER and 0 <= number <= _MAX_MS:
                return number
        return None

    start = first(_START_KEYS) or 0.0
    duration = first(_DURATION_KEYS)
    if duration is not None:
        return start + duration
    return first(_END_KEYS) or start


def _volume(raw: Mapping[Any, Any], meta: Mapping[Any, Any]) -> float | None:
    for source in (meta, raw):
        for key in _VOLUME_KEYS:
            number = as_number(source.get(key))
            if number is None or number < 0:
                continue
            # 0..1 is a fraction; above 1, a percentage (so 1 itself means 100 %).
            if number <= 1:
                return number
            if number <= 100:
                return number / 100
            return None
    return None


def text_of(raw: Mapping[Any, Any]) -> str | None:
    meta = meta_of(raw)
    for source in (meta, raw):
        for key in _TEXT_KEYS:
            text = _plain_text(source.get(key))
            if text:
                return text
    return None


def _plain_text(value: object) -> str | None:
    """A string, or the strings of a list of runs (``["A", {"text": "B"}]``) joined."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        inner = value.get("text")
        return clean(inner) if isinstance(inner, str) else None
    if isinstance(value, list):
        pieces = [p if isinstance(p, str) else p.get("text") if isinstance(p, Mapping) else None for p in value]
        return clean(" ".join(p for p in pieces if isinstance(p, str)))
    return None


def _details(raw: Mapping[Any, Any], meta: Mapping[Any, Any]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for source in (raw, meta):  # meta last: it wins over a same-named top-level key
        for key, value in source.items():
            if not isinstance(key, str) or key in _KNOWN_SEGMENT_KEYS:
                continue
            shown = _shown_value(value)
            if shown is not None:
                found[key] = shown
    return tuple(sorted(found.items()))[:_MAX_DETAILS]


def _shown_value(value: object) -> str | None:
    """A metadata value as a person reads it, kept short; ``None`` for what cannot be shown."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return shorten(clean(value) or '""', _MAX_DETAIL)
    if isinstance(value, int | float):
        return shorten(str(value), _MAX_DETAIL) if math.isfinite(value) else None
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return None  # mixed key types, or nesting deeper than json can follow
    return shorten(text, _MAX_DETAIL)
