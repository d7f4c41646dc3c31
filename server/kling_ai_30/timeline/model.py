"""What a timeline is made of, and what can change in it: plain, frozen data read from drafts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
