"""What changed between two drafts (``change_lines`` says it in words: the answer to a silent reply)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .canvas import canvas_changes, read_canvas
from .draft import read_tracks
from .model import Change, ChangeKind, Segment, Track, TrackKind
from .summary import percent, segment_name, segment_text, time_range
from .values import file_stem, shorten

_T = TypeVar("_T")


def diff(
    before: object, after: object, *, canvas_before: object = None, canvas_after: object = None
) -> tuple[Change, ...]:
    """What changed from ``before`` to ``after`` (drafts), canvas first, then track by track.

    Tracks are matched by ``id``, then by kind and label in order; segments by ``id``, then by
    equal content, then by the same name, then by position.
    """
    changes = list(canvas_changes(read_canvas(canvas_before, before), read_canvas(canvas_after, after)))
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
                Change(ChangeKind.ADDED, new.label, after=segment_text(new.kind, s), segment=s) for s in new.segments
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
            changes.append(Change(ChangeKind.ADDED, new.label, after=segment_text(new.kind, segment), segment=segment))
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
    return Change(ChangeKind.REMOVED, track.label, before=segment_name(track.kind, segment), segment=segment)


def _segment_changes(track: Track, old: Segment, new: Segment) -> list[Change]:
    def changed(field: str, before: str, after: str) -> Change:
        return Change(ChangeKind.CHANGED, track.label, field=field, before=before, after=after, segment=new)

    changes: list[Change] = []
    if (old.start_ms, old.end_ms) != (new.start_ms, new.end_ms):
        changes.append(changed(_timing_verb(old, new), time_range(old), time_range(new)))
    if old.text != new.text:
        changes.append(changed("text", _quoted(old.text), _quoted(new.text)))
    if track.kind is not TrackKind.TEXT and old.label != new.label:
        changes.append(changed("label", shorten(old.label) or "untitled", shorten(new.label) or "untitled"))
    elif track.kind is not TrackKind.TEXT and old.source != new.source:
        changes.append(changed("source", file_stem(old.source) or "none", file_stem(new.source) or "none"))
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
    return f'"{shorten(text)}"' if text else "(none)"


def _volume_shown(volume: float | None) -> str:
    return percent(volume) if volume is not None else "default"
