"""Reading drafts tolerantly: timing, labels, text and track kinds from many key names; any JSON read safely."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_ai_30.timeline import (
    Segment,
    Track,
    TrackKind,
    describe_changes,
    diff,
    is_exportable,
    read_tracks,
    summarize,
)

from .drafts import EMPTY, SKILL_EXAMPLE, audio, clip, draft, text, video


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        pytest.param({"start": 1_000, "duration": 2_000}, (1_000, 3_000), id="start-duration"),
        pytest.param({"s": 1_000, "dur": 2_000}, (1_000, 3_000), id="s-dur"),
        pytest.param({"start_ms": 1_000, "length": 2_000}, (1_000, 3_000), id="start_ms-length"),
        pytest.param({"startTime": 1_000, "end": 4_000}, (1_000, 4_000), id="startTime-end"),
        pytest.param({"offset": 500, "duration_ms": 500}, (500, 1_000), id="offset-duration_ms"),
        pytest.param({"b": 0, "e": 7_000}, (0, 7_000), id="b-e"),
        pytest.param({"in": 2_000, "out": 5_000}, (2_000, 5_000), id="in-out"),
        pytest.param({"start_s": 1.5, "duration_s": 2}, (1_500, 3_500), id="explicit-seconds"),
        pytest.param({"st": "1000", "d": "2000"}, (1_000, 3_000), id="numeric-strings"),
        pytest.param({"d": 4_000}, (0, 4_000), id="no-start-is-zero"),
        pytest.param({"st": 3_000, "e": 1_000}, (3_000, 3_000), id="end-before-start-clamped"),
        pytest.param({"st": -5, "d": True}, (0, 0), id="negative-and-bool-ignored"),
        pytest.param({"st": 1e400, "d": float("nan")}, (0, 0), id="infinite-and-nan-ignored"),
        pytest.param({"m": {"st": 2_000, "d": 1_000}}, (2_000, 3_000), id="timing-inside-metadata"),
    ],
)
def test_segment_timing_is_read_from_many_key_names(segment: dict[str, Any], expected: tuple[int, int]) -> None:
    (track,) = read_tracks({"t": [{"tt": 0, "sg": [segment]}]})
    (read,) = track.segments
    assert (read.start_ms, read.end_ms) == expected


def test_a_segment_without_start_follows_the_previous_one() -> None:
    (track,) = read_tracks({"t": [{"tt": 0, "sg": [{"d": 4_000}, {"d": 6_000}]}]})
    assert [(s.start_ms, s.end_ms) for s in track.segments] == [(0, 4_000), (4_000, 10_000)]


def test_seconds_are_assumed_only_when_they_match_the_total_duration() -> None:
    in_seconds = {"t": [{"tt": 0, "sg": [{"start": 0, "duration": 10}, {"start": 10, "duration": 20}]}], "d": 30_000}
    assert summarize(in_seconds) == "Timeline (1 track): 1. Video: untitled (0-10s), untitled (10-30s)"
    # Without a total that agrees, the documented milliseconds stand.
    without_total = {"t": [{"tt": 0, "sg": [{"start": 0, "duration": 10}]}]}
    assert read_tracks(without_total)[0].segments[0].end_ms == 10


@pytest.mark.parametrize(
    ("segment", "label"),
    [
        pytest.param({"m": {"name": "a", "title": "b"}, "name": "c"}, "a", id="m-name-first"),
        pytest.param({"m": {"title": "b"}, "name": "c"}, "b", id="m-title"),
        pytest.param({"name": "c", "label": "d"}, "c", id="top-level-name"),
        pytest.param({"label": "d"}, "d", id="label"),
        pytest.param({"m": {"prompt": "a foggy pier"}}, "a foggy pier", id="prompt"),
        pytest.param({"url": "https://x.example/a/b/golden_hour.webm"}, "golden_hour", id="url-stem"),
        pytest.param({"src": "data:image/png;base64,AAAA"}, None, id="data-uri-has-no-name"),
        pytest.param({"m": {"name": "   "}}, None, id="blank-name"),
    ],
)
def test_segment_label_fallbacks(segment: dict[str, Any], label: str | None) -> None:
    assert read_tracks({"t": [{"tt": 0, "sg": [segment]}]})[0].segments[0].label == label


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        pytest.param({"m": {"text": "A"}}, "A", id="m-text"),
        pytest.param({"text": "B"}, "B", id="text"),
        pytest.param({"content": "C"}, "C", id="content"),
        pytest.param({"tx": "D"}, "D", id="tx"),
        pytest.param({"m": {"text": ["Hello", {"text": "world"}, 3]}}, "Hello world", id="runs"),
        pytest.param({"m": {"text": {"text": "E"}}}, "E", id="object"),
        pytest.param({"m": {"text": 5}}, None, id="number-is-not-text"),
    ],
)
def test_text_fallbacks(segment: dict[str, Any], expected: str | None) -> None:
    assert read_tracks({"t": [{"tt": 7, "sg": [segment]}]})[0].segments[0].text == expected


@pytest.mark.parametrize(
    ("track", "kind", "label"),
    [
        pytest.param({"tt": 0}, TrackKind.VIDEO, "Video", id="tt-0"),
        pytest.param({"tt": 1}, TrackKind.AUDIO, "BGM", id="tt-1"),
        pytest.param({"tt": 7}, TrackKind.TEXT, "Title", id="tt-7"),
        pytest.param({"tt": "7"}, TrackKind.TEXT, "Title", id="tt-as-string"),
        pytest.param({"tt": 7.0}, TrackKind.TEXT, "Title", id="tt-as-float"),
        pytest.param({"tt": True}, TrackKind.OTHER, "Track", id="tt-bool-is-not-a-number"),
        pytest.param({"type": "audio", "m": {"name": "BGM"}}, TrackKind.AUDIO, "BGM", id="type-word"),
        pytest.param({"m": {"name": "Subtitle"}}, TrackKind.TEXT, "Subtitle", id="kind-from-name"),
        pytest.param({"tt": 7, "m": {"name": "字幕"}}, TrackKind.TEXT, "Subtitle", id="chinese-name"),
        pytest.param({"tt": 0, "m": {"name": "BGM"}}, TrackKind.VIDEO, "Video", id="type-wins-over-name"),
        pytest.param({"sg": [{"text": "hi"}]}, TrackKind.TEXT, "Title", id="kind-from-segments"),
        pytest.param({"tt": 9}, TrackKind.OTHER, "Track", id="unknown-number"),
    ],
)
def test_track_kind_and_label(track: dict[str, Any], kind: TrackKind, label: str) -> None:
    (read,) = read_tracks({"t": [track]})
    assert (read.kind, read.label) == (kind, label)


def test_draft_may_arrive_as_json_text_or_inside_a_state_object() -> None:
    expected = summarize(SKILL_EXAMPLE)
    assert summarize(json.dumps(SKILL_EXAMPLE)) == expected
    assert summarize({"draft": SKILL_EXAMPLE}) == expected
    assert summarize({"tracks": SKILL_EXAMPLE["t"]}) == expected


def test_read_tracks_gives_the_segments_as_data() -> None:
    tracks = read_tracks(SKILL_EXAMPLE)
    assert tracks[1] == Track(
        kind=TrackKind.AUDIO,
        label="BGM",
        segments=(Segment(0, 10_000, "Lo-fi", None, 0.35, None, id="a1"),),
    )
    assert tracks[0].segments[0].source == "https://cdn.example/city.mp4"
    assert dict(tracks[2].segments[0].details) == {"position": "center", "style": "title"}


@pytest.mark.parametrize(
    ("value", "exportable"),
    [
        pytest.param(SKILL_EXAMPLE, True, id="generated"),
        pytest.param(draft(video(), audio()), False, id="tracks-without-segments"),
        pytest.param(draft(video(), text(clip(0, 1_000, text="x"))), True, id="one-track-with-a-segment"),
        pytest.param({"t": [{"sg": [{}]}]}, True, id="an-empty-segment-object-counts"),
        pytest.param({"t": [{"sg": [None, 1]}]}, False, id="segments-that-are-not-objects"),
        pytest.param({}, False, id="empty-draft"),
    ],
)
def test_is_exportable(value: object, exportable: bool) -> None:
    assert is_exportable(value) is exportable


KEY_NAMES = "t tt sg d m st s start e end dur duration id name text tx volume v src url style width height ratio"
KEYS = st.sampled_from([*KEY_NAMES.split(), "draft", "tracks", "segments"]) | st.text(max_size=3)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["0", "7", "1e999", "nan", "-1", "16:9", "data:x", "/", "a.b.mp4"])
)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5), max_leaves=12
)
SEGMENT = st.dictionaries(KEYS, SCALARS | st.dictionaries(KEYS, SCALARS, max_size=4), max_size=6)
TRACK = st.fixed_dictionaries(
    {"tt": SCALARS, "sg": st.lists(SEGMENT | SCALARS, max_size=4)},
    optional={"m": st.dictionaries(KEYS, SCALARS, max_size=3), "id": SCALARS},
)
DRAFT = st.fixed_dictionaries({"t": st.lists(TRACK | JSON, max_size=4)}, optional={"d": SCALARS, "m": JSON}) | JSON


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DRAFT, DRAFT, JSON, JSON)
def test_any_json_value_is_read_without_raising(
    before: object, after: object, canvas_a: object, canvas_b: object
) -> None:
    for value in (before, after):
        tracks = read_tracks(value)
        line = summarize(value)
        assert line == EMPTY or line.startswith(f"Timeline ({len(tracks)} track")
        assert is_exportable(value) == any(t.segments for t in tracks)
        for track in tracks:
            assert all(0 <= s.start_ms <= s.end_ms for s in track.segments)
            assert all(s.volume is None or 0 <= s.volume <= 1 for s in track.segments)
    changes = diff(before, after, canvas_before=canvas_a, canvas_after=canvas_b)
    assert isinstance(describe_changes(changes), str)
    assert diff(after, after, canvas_before=canvas_b, canvas_after=canvas_b) == ()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_as_draft_is_read_without_raising(value: str) -> None:
    summarize(value)
