"""The timeline as a person reads it: the skill text's one-line summary, and the words for a segment."""

from __future__ import annotations

from .draft import read_tracks
from .model import Segment, Track, TrackKind
from .values import shorten

EMPTY_TIMELINE = "Timeline is empty: nothing has been generated yet."


def summarize(draft: object) -> str:
    """The one-line timeline summary of the skill text (see the package docstring)."""
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
    return ", ".join(segment_text(track.kind, segment) for segment in track.segments)


def segment_text(kind: TrackKind, segment: Segment) -> str:
    """``city timelapse (0-10s)``, ``Lo-fi (0-10s, 35%)``, ``"Urban Dreams" (0-3s)``."""
    details = [time_range(segment)]
    if kind is TrackKind.AUDIO and segment.volume is not None:
        details.append(percent(segment.volume))
    return f"{segment_name(kind, segment)} ({', '.join(details)})"


def segment_name(kind: TrackKind, segment: Segment) -> str:
    """What a segment is called: a text segment by its quoted text, others by their label."""
    quoted = f'"{shorten(segment.text)}"' if segment.text else None
    named = shorten(segment.label) if segment.label else None
    first, second = (quoted, named) if kind is TrackKind.TEXT else (named, quoted)
    return first or second or "untitled"


def _seconds(ms: int) -> str:
    """Seconds without decimals when whole, one decimal otherwise: 10, 2.5."""
    value = round(ms / 1000, 1)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def time_range(segment: Segment) -> str:
    """``0-10s``, or ``at 3s`` for a segment without length."""
    if segment.end_ms <= segment.start_ms:
        return f"at {_seconds(segment.start_ms)}s"
    return f"{_seconds(segment.start_ms)}-{_seconds(segment.end_ms)}s"


def percent(volume: float) -> str:
    """A 0..1 volume as a person reads it: ``35%``."""
    return f"{round(volume * 100)}%"
