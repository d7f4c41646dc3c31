"""The timeline in the backend's draft JSON: read it, summarise it, and say what changed.

The draft uses short keys (reference/nemo-api.md §6.1): ``t`` tracks, ``tt`` track type
(0 video, 1 audio, 7 text), ``sg`` segments, ``d`` duration in ms, ``m`` metadata. Segment keys
are not documented anywhere public, so every field is read from a list of plausible names
(the local backend's first) and anything unreadable is skipped or shown as unknown: no JSON
value, however odd, makes a function here raise.

Times are milliseconds. Seconds are assumed only where that is unambiguous: a key that says
so (``start_s``), or segment ends that, read as seconds, land on the draft's total duration in
ms while, read as ms, they would be a thousandth of it.

``summarize`` writes the skill text's line::

    Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)

``diff`` and ``describe_changes`` answer a silent reply ("✅ Title added: "Urban Dreams" (0-3s)").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

__all__ = [
    "Change",
    "ChangeKind",
    "Segment",
    "Track",
    "TrackKind",
    "describe_changes",
    "diff",
    "is_exportable",
    "read_tracks",
    "summarize",
]

_T = TypeVar("_T")

EMPTY_TIMELINE = "Timeline is empty: nothing has been generated yet."
NO_CHANGE = "No visible change to the timeline."


class TrackKind(StrEnum):
    """What a track holds; ``tt`` 0, 1 and 7 in the draft, ``OTHER`` for anything else."""

    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    OTHER = "other"


@dataclass(frozen=True)
class Segment:
    """One clip on a track; times in ms from the start of the timeline."""

    start_ms: int
    end_ms: int
    label: str | None
    text: str | None
    volume: float | None
    """0..1; ``None`` when the draft does not say."""
    source: str | None
    id: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    """Other simple metadata (``motion``, ``style``, ``position``...) as (key, shown value), sorted;
    only ``diff`` uses it, so edits such as a new camera motion are not silent."""


@dataclass(frozen=True)
class Track:
    """One track: its kind, the label a person reads ("Video", "BGM", "Title"...) and its clips."""

    kind: TrackKind
    label: str
    segments: tuple[Segment, ...]
    id: str | None = None


class ChangeKind(StrEnum):
    """Whether a ``Change`` adds, removes or alters something."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Change:
    """One visible difference between two states of the timeline.

    ``field`` is ``None`` for a whole segment added or removed; ``"track"`` for an empty track;
    ``"trimmed"``, ``"extended"``, ``"moved"`` or ``"timing"`` when a segment's times changed;
    ``"volume"``, ``"text"``, ``"label"``, ``"source"``, or another metadata key (``"motion"``,
    ``"position"``...) for a changed property; ``"aspect_ratio"`` or ``"resolution"`` for the
    canvas (then ``track`` is ``"Canvas"``). ``before`` and ``after`` are the values as a person
    reads them ("0-30s", "35%", '"Urban Dreams"'); ``segment`` is the segment concerned (the new
    one, or the removed one).
    """

    kind: ChangeKind
    track: str
    field: str | None = None
    before: str | None = None
    after: str | None = None
    segment: Segment | None = None


# --------------------------------------------------------------------------- reading

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
_ID_KEYS = ("id", "sid", "segment_id", "segmentId", "track_id", "trackId", "uid", "uuid")
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
    | set(_ID_KEYS + _LABEL_KEYS + _TEXT_KEYS + _VOLUME_KEYS + _SOURCE_KEYS + ("prompt",))
    | _HOUSEKEEPING
)

_MAX_MS = 10**12  # ~30 years: anything larger is garbage, and keeps int() away from inf
_MAX_SHOWN = 80  # a label or text in a one-line summary
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
    root = _draft_root(draft)
    if root is None:
        return ()
    raw_tracks = _first_list(root, _TRACK_LIST_KEYS)
    scale = _either_scale(root, raw_tracks)
    return tuple(_read_track(raw, scale) for raw in raw_tracks if isinstance(raw, Mapping))


def is_exportable(draft: object) -> bool:
    """True when at least one track has a segment (the skill text's pre-export check)."""
    return any(track.segments for track in read_tracks(draft))


def summarize(draft: object) -> str:
    """The one-line timeline summary of the skill text (see the module docstring)."""
    tracks = read_tracks(draft)
    if not tracks:
        return EMPTY_TIMELINE
    noun = "track" if len(tracks) == 1 else "tracks"
    items = [f"{number}. {track.label}: {_track_body(track)}" for number, track in enumerate(tracks, start=1)]
    return f"Timeline ({len(tracks)} {noun}): " + " ".join(items)


def describe_track(track: Track) -> str:
    """One track as the summary shows it, without its number: ``Video: beach (0-10s)``."""
    return f"{track.label}: {_track_body(track)}"


def _track_body(track: Track) -> str:
    if not track.segments:
        return "empty"
    return ", ".join(_segment_text(track.kind, segment) for segment in track.segments)


def _segment_text(kind: TrackKind, segment: Segment) -> str:
    """``city timelapse (0-10s)``, ``Lo-fi (0-10s, 35%)``, ``"Urban Dreams" (0-3s)``."""
    details = [_range(segment)]
    if kind is TrackKind.AUDIO and segment.volume is not None:
        details.append(_percent(segment.volume))
    return f"{_segment_name(kind, segment)} ({', '.join(details)})"


def _segment_name(kind: TrackKind, segment: Segment) -> str:
    quoted = f'"{_shorten(segment.text)}"' if segment.text else None
    named = _shorten(segment.label) if segment.label else None
    first, second = (quoted, named) if kind is TrackKind.TEXT else (named, quoted)
    return first or second or "untitled"


def _draft_root(draft: object) -> Mapping[Any, Any] | None:
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
    meta = _meta(raw)
    name = _first_str(meta, _LABEL_KEYS) or _first_str(raw, ("name", "label"))
    raw_segments = [s for s in _first_list(raw, _SEGMENT_LIST_KEYS) if isinstance(s, Mapping)]
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
        id=_first_id(raw),
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
    if segments and all(_text_of(s) for s in segments):
        return TrackKind.TEXT
    return TrackKind.OTHER


def _kind_of(value: object) -> TrackKind | None:
    number = _number(value)
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
            meta = _meta(segment)
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
    meta = _meta(raw)
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
    source = _first_str(raw, _SOURCE_KEYS) or _first_str(meta, _SOURCE_KEYS)
    label = (
        _first_str(meta, _LABEL_KEYS)
        or _first_str(raw, _LABEL_KEYS)
        or _first_str(meta, ("prompt",))
        or _first_str(raw, ("prompt",))
        or _file_stem(source)
    )
    return Segment(
        start_ms=start_ms,
        end_ms=max(end_ms, start_ms),
        label=label,
        text=_text_of(raw),
        volume=_volume(raw, meta),
        source=source,
        id=_first_id(raw),
        details=_details(raw, meta),
    )


def _timing(
    raw: Mapping[Any, Any], meta: Mapping[Any, Any], keys: Iterable[tuple[str, float]], scale: float
) -> int | None:
    for source in (raw, meta):
        for key, unit in keys:
            number = _number(source.get(key))
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
        for segment in _first_list(track, _SEGMENT_LIST_KEYS):
            if isinstance(segment, Mapping):
                largest = max(largest, _raw_end(segment))
    if largest > 0 and abs(largest * 1000 - total) <= max(1000.0, total * 0.02):
        return _SECONDS
    return _MS


def _raw_end(segment: Mapping[Any, Any]) -> float:
    def first(keys: Iterable[tuple[str, float]]) -> float | None:
        for key, unit in keys:
            number = _number(segment.get(key))
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
            number = _number(source.get(key))
            if number is None or number < 0:
                continue
            # 0..1 is a fraction; above 1, a percentage (so 1 itself means 100 %).
            if number <= 1:
                return number
            if number <= 100:
                return number / 100
            return None
    return None


def _text_of(raw: Mapping[Any, Any]) -> str | None:
    meta = _meta(raw)
    for source in (meta, raw):
        for key in _TEXT_KEYS:
            text = _plain_text(source.get(key))
            if text:
                return text
    return None


def _plain_text(value: object) -> str | None:
    """A string, or the strings of a list of runs (``["A", {"text": "B"}]``) joined."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Mapping):
        inner = value.get("text")
        return _clean(inner) if isinstance(inner, str) else None
    if isinstance(value, list):
        pieces = [p if isinstance(p, str) else p.get("text") if isinstance(p, Mapping) else None for p in value]
        return _clean(" ".join(p for p in pieces if isinstance(p, str)))
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
        return _shorten(_clean(value) or '""', _MAX_DETAIL)
    if isinstance(value, int | float):
        return _shorten(str(value), _MAX_DETAIL) if math.isfinite(value) else None
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return None  # mixed key types, or nesting deeper than json can follow
    return _shorten(text, _MAX_DETAIL)


def _meta(raw: Mapping[Any, Any]) -> Mapping[Any, Any]:
    meta = raw.get("m")
    if isinstance(meta, Mapping):
        return meta
    meta = raw.get("meta") or raw.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _first_list(source: Mapping[Any, Any], keys: Iterable[str]) -> list[object]:
    for key in keys:
        value = source.get(key)
        if isinstance(value, list):
            return value
    return []


def _first_str(source: Mapping[Any, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = source.get(key)
        if isinstance(value, str):
            cleaned = _clean(value)
            if cleaned:
                return cleaned
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return str(value)
    return None


def _first_id(source: Mapping[Any, Any]) -> str | None:
    for key in _ID_KEYS:
        value = source.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _number(value: object) -> float | None:
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


def _file_stem(source: str | None) -> str | None:
    if not source or source.startswith("data:"):
        return None
    try:
        path = urlsplit(source).path or source
    except ValueError:
        path = source
    name = unquote(re.split(r"[\\/]", path.rstrip("/\\"))[-1])
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return _clean(stem)


def _clean(text: str) -> str | None:
    """One line: whitespace runs (newlines included) collapsed; ``None`` when nothing is left."""
    cleaned = " ".join(text.split())
    return cleaned or None


def _shorten(text: str | None, limit: int = _MAX_SHOWN) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _seconds(ms: int) -> str:
    """Seconds without decimals when whole, one decimal otherwise: 10, 2.5."""
    value = round(ms / 1000, 1)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def _range(segment: Segment) -> str:
    if segment.end_ms <= segment.start_ms:
        return f"at {_seconds(segment.start_ms)}s"
    return f"{_seconds(segment.start_ms)}-{_seconds(segment.end_ms)}s"


def _percent(volume: float) -> str:
    return f"{round(volume * 100)}%"


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class _Canvas:
    width: int | None
    height: int | None
    ratio: str | None

    @property
    def size(self) -> str | None:
        return f"{self.width}×{self.height}" if self.width and self.height else None


_COMMON_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "4:5", "5:4", "21:9", "9:21", "3:2", "2:3", "2:1", "1:2")


def diff(
    before: object, after: object, *, canvas_before: object = None, canvas_after: object = None
) -> tuple[Change, ...]:
    """What changed from ``before`` to ``after`` (drafts), canvas first, then track by track.

    Tracks are matched by ``id``, then by kind and label in order; segments by ``id``, then by
    equal content, then by the same name, then by position.
    """
    changes = list(_canvas_changes(_read_canvas(canvas_before, before), _read_canvas(canvas_after, after)))
    old_tracks, new_tracks = read_tracks(before), read_tracks(after)
    pairs = _pair(
        old_tracks,
        new_tracks,
        [lambda t: t.id, lambda t: (t.kind, t.label)],
    )
    matched_old = {i for i, _ in pairs}
    by_new = {j: i for i, j in pairs}
    for j, new in enumerate(new_tracks):
        if j in by_new:
            changes.extend(_track_changes(old_tracks[by_new[j]], new))
        elif new.segments:
            changes.extend(
                Change(ChangeKind.ADDED, new.label, after=_segment_text(new.kind, s), segment=s) for s in new.segments
            )
        else:
            changes.append(Change(ChangeKind.ADDED, new.label, field="track"))
    for i, old in enumerate(old_tracks):
        if i in matched_old:
            continue
        if old.segments:
            changes.extend(_removed(old, s) for s in old.segments)
        else:
            changes.append(Change(ChangeKind.REMOVED, old.label, field="track"))
    return tuple(changes)


def _pair(old: Sequence[_T], new: Sequence[_T], keys: Sequence[Callable[[_T], object]]) -> list[tuple[int, int]]:
    """Index pairs (old, new): for each key in turn, equal non-None keys pair up in order;
    whatever is left pairs by position."""
    free_old = list(range(len(old)))
    free_new = list(range(len(new)))
    pairs: list[tuple[int, int]] = []
    for key in keys:
        for i in list(free_old):
            wanted = key(old[i])
            if wanted is None:
                continue
            for j in free_new:
                if key(new[j]) == wanted:
                    pairs.append((i, j))
                    free_old.remove(i)
                    free_new.remove(j)
                    break
    pairs.extend(zip(free_old, free_new, strict=False))
    return pairs


def _track_changes(old: Track, new: Track) -> list[Change]:
    pairs = _pair(
        old.segments,
        new.segments,
        [lambda s: s.id, lambda s: _content(s), lambda s: _identity(s)],
    )
    by_new = {j: i for i, j in pairs}
    changes: list[Change] = []
    for j, segment in enumerate(new.segments):
        if j in by_new:
            changes.extend(_segment_changes(new, old.segments[by_new[j]], segment))
        else:
            changes.append(Change(ChangeKind.ADDED, new.label, after=_segment_text(new.kind, segment), segment=segment))
    matched = {i for i, _ in pairs}
    changes.extend(_removed(old, s) for i, s in enumerate(old.segments) if i not in matched)
    return changes


def _content(segment: Segment) -> tuple[object, ...]:
    return (
        segment.start_ms,
        segment.end_ms,
        segment.label,
        segment.text,
        segment.volume,
        segment.source,
        segment.details,
    )


def _identity(segment: Segment) -> tuple[object, ...] | None:
    if segment.label is None and segment.text is None and segment.source is None:
        return None
    return (segment.label, segment.text, segment.source)


def _removed(track: Track, segment: Segment) -> Change:
    return Change(ChangeKind.REMOVED, track.label, before=_segment_name(track.kind, segment), segment=segment)


def _segment_changes(track: Track, old: Segment, new: Segment) -> list[Change]:
    def changed(field: str, before: str, after: str) -> Change:
        return Change(ChangeKind.CHANGED, track.label, field=field, before=before, after=after, segment=new)

    changes: list[Change] = []
    if (old.start_ms, old.end_ms) != (new.start_ms, new.end_ms):
        changes.append(changed(_timing_verb(old, new), _range(old), _range(new)))
    if old.text != new.text:
        changes.append(changed("text", _quoted(old.text), _quoted(new.text)))
    if track.kind is not TrackKind.TEXT and old.label != new.label:
        changes.append(changed("label", _shorten(old.label) or "untitled", _shorten(new.label) or "untitled"))
    elif track.kind is not TrackKind.TEXT and old.source != new.source:
        changes.append(changed("source", _file_stem(old.source) or "none", _file_stem(new.source) or "none"))
    if old.volume != new.volume and _volume_shown(old.volume) != _volume_shown(new.volume):
        changes.append(changed("volume", _volume_shown(old.volume), _volume_shown(new.volume)))
    old_details, new_details = dict(old.details), dict(new.details)
    changes.extend(
        changed(key, old_details.get(key, "none"), new_details.get(key, "none"))
        for key in sorted(old_details.keys() | new_details.keys())
        if old_details.get(key) != new_details.get(key)
    )
    return changes


def _timing_verb(old: Segment, new: Segment) -> str:
    old_length, new_length = old.end_ms - old.start_ms, new.end_ms - new.start_ms
    if new_length < old_length and old.start_ms <= new.start_ms and new.end_ms <= old.end_ms:
        return "trimmed"
    if new_length > old_length and new.start_ms <= old.start_ms and old.end_ms <= new.end_ms:
        return "extended"
    if new_length == old_length:
        return "moved"
    return "timing"


def _quoted(text: str | None) -> str:
    return f'"{_shorten(text)}"' if text else "(none)"


def _volume_shown(volume: float | None) -> str:
    return _percent(volume) if volume is not None else "default"


def _read_canvas(canvas: object, draft: object) -> _Canvas:
    """Canvas size and ratio from ``state.canvas_config``, else from the draft's ``m``."""
    sources: list[Mapping[Any, Any]] = []
    if isinstance(canvas, Mapping):
        sources.append(canvas)
    root = _draft_root(draft)
    if root is not None:
        sources.append(_meta(root))

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
    return _Canvas(width, height, ratio)


def _dimension(value: object) -> int | None:
    number = _number(value)
    if number is None or not 0 < number <= 100_000:
        return None
    return round(number)


def _ratio(value: object) -> str | None:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,5})\s*[:/x×]\s*(\d{1,5})\s*", value)
        if match and int(match[1]) and int(match[2]):
            return _ratio_of(int(match[1]), int(match[2]))
    number = _number(value)
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


def _canvas_changes(old: _Canvas, new: _Canvas) -> list[Change]:
    if old.ratio and new.ratio and old.ratio != new.ratio:
        after = f"{new.ratio} ({new.size})" if new.size else new.ratio
        return [Change(ChangeKind.CHANGED, "Canvas", field="aspect_ratio", before=old.ratio, after=after)]
    if old.size and new.size and old.size != new.size:
        return [Change(ChangeKind.CHANGED, "Canvas", field="resolution", before=old.size, after=new.size)]
    return []


# --------------------------------------------------------------------------- describing

_CHANGED_VERBS = {
    "trimmed": "trimmed",
    "extended": "extended",
    "moved": "moved",
    "timing": "timing changed",
    "label": "changed",
    "source": "clip replaced",
}
_CANVAS_FIELDS = {"aspect_ratio": "Aspect ratio changed", "resolution": "Resolution changed"}


def describe_changes(changes: Sequence[Change]) -> str:
    """One ``✅`` line per change, or a sentence saying nothing visible changed."""
    if not changes:
        return NO_CHANGE
    return "\n".join(_describe(change) for change in changes)


def _describe(change: Change) -> str:
    if change.kind is ChangeKind.ADDED:
        if change.field == "track" or change.after is None:
            return f"✅ {change.track} track added"
        return f"✅ {change.track} added: {change.after}"
    if change.kind is ChangeKind.REMOVED:
        if change.field == "track" or change.before is None:
            return f"✅ {change.track} track removed"
        return f"✅ {change.track} removed: {change.before}"
    field = change.field or "settings"
    if field in _CANVAS_FIELDS:
        return f"✅ {_CANVAS_FIELDS[field]}: {change.before} → {change.after}"
    verb = _CHANGED_VERBS.get(field, f"{field} changed")
    return f"✅ {change.track} {verb}: {change.before} → {change.after}"
