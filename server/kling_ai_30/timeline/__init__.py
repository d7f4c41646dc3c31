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

The parts: ``draft`` reads tracks and segments (``values`` the loose JSON values inside them),
``summary`` words them, ``canvas`` reads the aspect ratio and resolution, ``diff`` finds and
words the changes; ``model`` holds the data they share. The names callers use are here.
"""

from __future__ import annotations

from .change_lines import NO_CHANGE, describe_changes
from .diff import diff
from .draft import is_exportable, read_tracks
from .model import Change, ChangeKind, Segment, Track, TrackKind
from .summary import EMPTY_TIMELINE, describe_track, summarize

__all__ = [
    "EMPTY_TIMELINE",
    "NO_CHANGE",
    "Change",
    "ChangeKind",
    "Segment",
    "Track",
    "TrackKind",
    "describe_changes",
    "describe_track",
    "diff",
    "is_exportable",
    "read_tracks",
    "summarize",
]
