"""The timeline in the draft JSON: tolerant reading, the skill text's summary line, state diffs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_ai_30.timeline import (
    Change,
    ChangeKind,
    Segment,
    Track,
    TrackKind,
    describe_changes,
    diff,
    is_exportable,
    read_tracks,
    summarize,
)

EMPTY = "Timeline is empty: nothing has been generated yet."
NO_CHANGE = "No visible change to the timeline."


def video(*segments: dict[str, Any], name: str = "Video", **extra: Any) -> dict[str, Any]:
    return {"tt": 0, "sg": list(segments), "m": {"name": name}, **extra}


def audio(*segments: dict[str, Any], name: str = "BGM", **extra: Any) -> dict[str, Any]:
    return {"tt": 1, "sg": list(segments), "m": {"name": name}, **extra}


def text(*segments: dict[str, Any], name: str = "Title", **extra: Any) -> dict[str, Any]:
    return {"tt": 7, "sg": list(segments), "m": {"name": name}, **extra}


def clip(start: int, duration: int, **meta: Any) -> dict[str, Any]:
    return {"st": start, "d": duration, "m": meta}


def draft(*tracks: dict[str, Any], total: int | None = None, **meta: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"t": list(tracks), "m": meta}
    if total is not None:
        body["d"] = total
    return body


# The skill text's example, built the way the local backend writes drafts.
SKILL_EXAMPLE = draft(
    video({"id": "v1", "st": 0, "d": 10_000, "src": "https://cdn.example/city.mp4", "m": {"name": "city timelapse"}}),
    audio({"id": "a1", "st": 0, "d": 10_000, "m": {"name": "Lo-fi", "volume": 0.35}}),
    text({"id": "x1", "st": 0, "d": 3_000, "m": {"text": "Urban Dreams", "style": "title", "position": "center"}}),
    total=10_000,
    title="Urban Dreams",
    width=1920,
    height=1080,
    fps=30,
    ratio="16:9",
)


# --------------------------------------------------------------------------- summarize


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            SKILL_EXAMPLE,
            # Byte for byte the skill text's "Example timeline summary".
            "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
            '3. Title: "Urban Dreams" (0-3s)',
            id="skill-text-example",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="mountain landscape"))),
            "Timeline (1 track): 1. Video: mountain landscape (0-30s)",
            id="one-track-is-singular",
        ),
        pytest.param(
            draft(video(clip(0, 10_000, name="beach"), clip(10_000, 10_000, name="city"))),
            "Timeline (1 track): 1. Video: beach (0-10s), city (10-20s)",
            id="several-segments-joined",
        ),
        pytest.param(
            draft(text(clip(0, 2_000, text="A"), clip(2_000, 2_000, text="B"), name="Subtitle")),
            'Timeline (1 track): 1. Subtitle: "A" (0-2s), "B" (2-4s)',
            id="subtitle-track",
        ),
        pytest.param(
            draft({"tt": 7, "sg": [clip(0, 4_000, text="Say hi", style="caption")]}),
            'Timeline (1 track): 1. Caption: "Say hi" (0-4s)',
            id="text-track-named-by-segment-style",
        ),
        pytest.param(
            draft({"tt": 7, "sg": [clip(0, 4_000, text="Hello")]}),
            'Timeline (1 track): 1. Title: "Hello" (0-4s)',
            id="unnamed-text-track",
        ),
        pytest.param(
            draft({"tt": 1, "sg": [clip(0, 4_000, name="Narration", volume=0.8)]}),
            "Timeline (1 track): 1. Audio: Narration (0-4s, 80%)",
            id="unnamed-audio-track-named-by-its-segment",
        ),
        pytest.param(
            draft({"tt": 1, "sg": [clip(0, 10_000, name="Lo-fi", volume=0.35)]}),
            "Timeline (1 track): 1. BGM: Lo-fi (0-10s, 35%)",
            id="unnamed-audio-track-is-bgm",
        ),
        pytest.param(
            draft({"tt": 1, "sg": [clip(0, 4_000, name="Jazz")], "m": {"name": "Background music"}}),
            "Timeline (1 track): 1. BGM: Jazz (0-4s)",
            id="audio-without-volume-shows-none",
        ),
        pytest.param(
            draft({"tt": 3, "sg": [clip(0, 1_000, name="sparkle")]}),
            "Timeline (1 track): 1. Track: sparkle (0-1s)",
            id="unknown-track-type",
        ),
        pytest.param(
            draft(video(), audio(clip(0, 5_000, name="Lo-fi", volume=0.5))),
            "Timeline (2 tracks): 1. Video: empty 2. BGM: Lo-fi (0-5s, 50%)",
            id="track-without-segments",
        ),
        pytest.param(
            draft(video(clip(0, 10_000))),
            "Timeline (1 track): 1. Video: untitled (0-10s)",
            id="segment-without-a-name",
        ),
        pytest.param(
            draft(video({"st": 0, "d": 10_000, "src": "https://cdn.example/gen/sunset%20beach.mp4?sig=abc"})),
            "Timeline (1 track): 1. Video: sunset beach (0-10s)",
            id="label-from-source-file-stem",
        ),
        pytest.param(
            draft(video(clip(5_000, 0, name="still"))),
            "Timeline (1 track): 1. Video: still (at 5s)",
            id="zero-length-segment",
        ),
        pytest.param(
            draft(text(clip(0, 3_000, text="Line one\n  line two"))),
            'Timeline (1 track): 1. Title: "Line one line two" (0-3s)',
            id="whitespace-in-text-collapsed",
        ),
        pytest.param(
            draft(video(clip(0, 1_000, name="x" * 100))),
            "Timeline (1 track): 1. Video: " + "x" * 79 + "… (0-1s)",
            id="long-label-shortened",
        ),
    ],
)
def test_summary_line(value: object, expected: str) -> None:
    assert summarize(value) == expected


@pytest.mark.parametrize(
    ("start", "duration", "shown"),
    [
        pytest.param(0, 10_000, "0-10s", id="whole-seconds"),
        pytest.param(0, 2_500, "0-2.5s", id="half-second"),
        pytest.param(1_000, 2_333, "1-3.3s", id="one-decimal"),
        pytest.param(0, 9_990, "0-10s", id="rounds-to-whole"),
        pytest.param(60_000, 30_000, "60-90s", id="past-a-minute"),
        pytest.param(250, 500, "0.2-0.8s", id="under-a-second"),
    ],
)
def test_seconds_are_whole_or_one_decimal(start: int, duration: int, shown: str) -> None:
    assert summarize(draft(video(clip(start, duration, name="a")))) == f"Timeline (1 track): 1. Video: a ({shown})"


@pytest.mark.parametrize(
    ("volume", "shown"),
    [
        pytest.param(0.35, "35%", id="fraction"),
        pytest.param(0, "0%", id="muted"),
        pytest.param(1, "100%", id="one-is-full-volume"),
        pytest.param(35, "35%", id="percent"),
        pytest.param(100, "100%", id="percent-full"),
        pytest.param(0.355, "36%", id="fraction-rounded"),
        pytest.param("0.5", "50%", id="numeric-string"),
    ],
)
def test_volume_is_a_percentage_from_either_scale(volume: object, shown: str) -> None:
    line = summarize(draft(audio(clip(0, 1_000, name="Lo-fi", volume=volume))))
    assert line == f"Timeline (1 track): 1. BGM: Lo-fi (0-1s, {shown})"


@pytest.mark.parametrize(
    "volume",
    [
        pytest.param(-0.2, id="negative"),
        pytest.param(250, id="above-100"),
        pytest.param(True, id="bool"),
        pytest.param("loud", id="word"),
        pytest.param(None, id="null"),
    ],
)
def test_unreadable_volume_is_left_out(volume: object) -> None:
    assert summarize(draft(audio(clip(0, 1_000, name="Lo-fi", volume=volume)))).endswith("Lo-fi (0-1s)")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty-object"),
        pytest.param({"t": []}, id="no-tracks"),
        pytest.param({"t": None}, id="null-tracks"),
        pytest.param({"t": [None, 3, "x", []]}, id="tracks-that-are-not-objects"),
        pytest.param([], id="list"),
        pytest.param("not json", id="string"),
        pytest.param(42, id="number"),
    ],
)
def test_nothing_readable_is_an_empty_timeline(value: object) -> None:
    assert summarize(value) == EMPTY
    assert read_tracks(value) == ()
    assert not is_exportable(value)


# --------------------------------------------------------------------------- tolerant reading


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


# --------------------------------------------------------------------------- diff


def lines(before: object, after: object, **canvas: object) -> list[str]:
    return describe_changes(diff(before, after, **canvas)).splitlines()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            draft(video(clip(0, 30_000, name="city"))),
            draft(video(clip(0, 30_000, name="city")), text(clip(0, 3_000, text="Urban Dreams"))),
            ['✅ Title added: "Urban Dreams" (0-3s)'],
            id="title-added",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="city"))),
            draft(video(clip(0, 30_000, name="city")), audio(clip(0, 30_000, name="Lo-fi", volume=0.35))),
            ["✅ BGM added: Lo-fi (0-30s, 35%)"],
            id="bgm-added",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="city"))),
            draft(video(clip(0, 20_000, name="city"))),
            ["✅ Video trimmed: 0-30s → 0-20s"],
            id="trimmed",
        ),
        pytest.param(
            draft(video(clip(0, 20_000, name="city"))),
            draft(video(clip(0, 30_000, name="city"))),
            ["✅ Video extended: 0-20s → 0-30s"],
            id="extended",
        ),
        pytest.param(
            draft(text(clip(0, 3_000, text="Hi"))),
            draft(text(clip(2_000, 3_000, text="Hi"))),
            ["✅ Title moved: 0-3s → 2-5s"],
            id="moved",
        ),
        pytest.param(
            draft(text(clip(0, 3_000, text="Hi"))),
            draft(text(clip(2_000, 5_000, text="Hi"))),
            ["✅ Title timing changed: 0-3s → 2-7s"],
            id="retimed",
        ),
        pytest.param(
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=0.35))),
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=50))),
            ["✅ BGM volume changed: 35% → 50%"],
            id="volume-changed-across-scales",
        ),
        pytest.param(
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=0.5))),
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=50))),
            [],
            id="same-volume-on-another-scale-is-no-change",
        ),
        pytest.param(
            draft(audio(clip(0, 30_000, name="Lo-fi"))),
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=0.2))),
            ["✅ BGM volume changed: default → 20%"],
            id="volume-set",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="city")), text(clip(0, 3_000, text="Old"))),
            draft(video(clip(0, 30_000, name="city"))),
            ['✅ Title removed: "Old"'],
            id="title-removed",
        ),
        pytest.param(
            draft(text(clip(0, 3_000, text="A"))),
            draft(text(clip(0, 3_000, text="B"))),
            ['✅ Title text changed: "A" → "B"'],
            id="title-text-changed",
        ),
        pytest.param(
            draft(audio(clip(0, 30_000, name="Lo-fi", volume=0.35))),
            draft(audio(clip(0, 30_000, name="Jazz", volume=0.35))),
            ["✅ BGM changed: Lo-fi → Jazz"],
            id="music-replaced",
        ),
        pytest.param(
            draft(video({"st": 0, "d": 5_000, "src": "https://c/a.mp4", "m": {"name": "shot"}})),
            draft(video({"st": 0, "d": 5_000, "src": "https://c/b.mp4", "m": {"name": "shot"}})),
            ["✅ Video clip replaced: a → b"],
            id="source-replaced",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="mountain", motion="static"))),
            draft(video(clip(0, 30_000, name="mountain", motion="slow zoom"))),
            ["✅ Video motion changed: static → slow zoom"],
            id="camera-motion-changed",
        ),
        pytest.param(
            draft(text(clip(0, 3_000, text="Hi", position="top"))),
            draft(text(clip(0, 3_000, text="Hi", position={"x": 0.5, "y": 0.9}))),
            ['✅ Title position changed: top → {"x":0.5,"y":0.9}'],
            id="title-repositioned",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="city"))),
            draft(video(clip(0, 30_000, name="city")), audio()),
            ["✅ BGM track added"],
            id="empty-track-added",
        ),
        pytest.param(
            draft(video(clip(0, 30_000, name="city")), audio()),
            draft(video(clip(0, 30_000, name="city"))),
            ["✅ BGM track removed"],
            id="empty-track-removed",
        ),
        pytest.param(
            {},
            SKILL_EXAMPLE,
            [
                "✅ Video added: city timelapse (0-10s)",
                "✅ BGM added: Lo-fi (0-10s, 35%)",
                '✅ Title added: "Urban Dreams" (0-3s)',
            ],
            id="first-generation",
        ),
        pytest.param(SKILL_EXAMPLE, SKILL_EXAMPLE, [], id="identical"),
    ],
)
def test_diff_lines(before: object, after: object, expected: list[str]) -> None:
    assert lines(before, after) == (expected or [NO_CHANGE])


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            {"width": 1920, "height": 1080, "ratio": "16:9"},
            {"width": 1080, "height": 1920, "ratio": "9:16"},
            "✅ Aspect ratio changed: 16:9 → 9:16 (1080×1920)",
            id="ratio-from-canvas-config",
        ),
        pytest.param(
            {"width": 1920, "height": 1080},
            {"width": 1080, "height": 1080},
            "✅ Aspect ratio changed: 16:9 → 1:1 (1080×1080)",
            id="ratio-computed-from-size",
        ),
        pytest.param(
            {"aspect_ratio": "16/9"},
            {"aspectRatio": 0.5625},
            "✅ Aspect ratio changed: 16:9 → 9:16",
            id="ratio-spellings",
        ),
        pytest.param(
            {"width": 1280, "height": 720},
            {"width": 1920, "height": 1080},
            "✅ Resolution changed: 1280×720 → 1920×1080",
            id="resolution",
        ),
        pytest.param(
            {"width": 1366, "height": 768},
            {"width": 1920, "height": 1080},
            "✅ Resolution changed: 1366×768 → 1920×1080",
            id="near-16-9-is-16-9",
        ),
    ],
)
def test_canvas_changes(before: object, after: object, expected: str) -> None:
    assert lines({}, {}, canvas_before=before, canvas_after=after) == [expected]


def test_canvas_falls_back_to_the_draft_metadata() -> None:
    before = draft(video(clip(0, 1_000, name="a")), width=1920, height=1080)
    after = draft(video(clip(0, 1_000, name="a")), width=1080, height=1920)
    assert lines(before, after) == ["✅ Aspect ratio changed: 16:9 → 9:16 (1080×1920)"]


def test_segments_are_matched_by_id_so_reordering_is_no_change() -> None:
    a = {"id": "a", "st": 0, "d": 5_000, "m": {"name": "beach"}}
    b = {"id": "b", "st": 5_000, "d": 5_000, "m": {"name": "city"}}
    assert diff(draft(video(a, b)), draft(video(b, a))) == ()


def test_segments_without_ids_are_matched_by_content_then_position() -> None:
    a, b, c = clip(0, 5_000, name="beach"), clip(5_000, 5_000, name="city"), clip(10_000, 5_000, name="forest")
    # The middle clip went away: one removal, not a cascade of changes.
    assert lines(draft(video(a, b, c)), draft(video(a, c))) == ["✅ Video removed: city"]
    # A clip that kept its name but moved is a move.
    moved = clip(0, 5_000, name="forest")
    assert lines(draft(video(a, c)), draft(video(moved))) == [
        "✅ Video moved: 10-15s → 0-5s",
        "✅ Video removed: beach",
    ]


def test_tracks_are_matched_by_id_then_by_kind_and_label() -> None:
    title = text(clip(0, 3_000, text="Hi"))
    music = audio(clip(0, 30_000, name="Lo-fi", volume=0.35))
    # The backend put the new music track first; the title is still the same title.
    assert lines(draft(title), draft(music, title)) == ["✅ BGM added: Lo-fi (0-30s, 35%)"]
    with_ids_before = draft({**title, "id": "t1"})
    with_ids_after = draft({**text(clip(0, 3_000, text="Hi"), name="Subtitle"), "id": "t1"})
    assert diff(with_ids_before, with_ids_after) == ()


def test_change_carries_the_segment_concerned() -> None:
    (change,) = diff(draft(), draft(text(clip(0, 3_000, text="Urban Dreams"))))
    assert change == Change(
        ChangeKind.ADDED,
        "Title",
        after='"Urban Dreams" (0-3s)',
        segment=read_tracks(draft(text(clip(0, 3_000, text="Urban Dreams"))))[0].segments[0],
    )


@pytest.mark.parametrize(
    ("change", "line"),
    [
        pytest.param(Change(ChangeKind.ADDED, "Title", after='"A" (0-3s)'), '✅ Title added: "A" (0-3s)', id="added"),
        pytest.param(Change(ChangeKind.REMOVED, "BGM", before="Lo-fi"), "✅ BGM removed: Lo-fi", id="removed"),
        pytest.param(Change(ChangeKind.ADDED, "Video", field="track"), "✅ Video track added", id="track-added"),
        pytest.param(Change(ChangeKind.REMOVED, "Title", field="track"), "✅ Title track removed", id="track-removed"),
        pytest.param(
            Change(ChangeKind.CHANGED, "Video", field="trimmed", before="0-30s", after="0-20s"),
            "✅ Video trimmed: 0-30s → 0-20s",
            id="trimmed",
        ),
        pytest.param(
            Change(ChangeKind.CHANGED, "BGM", field="volume", before="35%", after="50%"),
            "✅ BGM volume changed: 35% → 50%",
            id="volume",
        ),
        pytest.param(
            Change(ChangeKind.CHANGED, "Canvas", field="aspect_ratio", before="16:9", after="9:16 (1080×1920)"),
            "✅ Aspect ratio changed: 16:9 → 9:16 (1080×1920)",
            id="aspect-ratio",
        ),
        pytest.param(
            Change(ChangeKind.CHANGED, "Title", field="text", before='"A"', after='"B"'),
            '✅ Title text changed: "A" → "B"',
            id="text",
        ),
    ],
)
def test_describe_changes_one_line_each(change: Change, line: str) -> None:
    assert describe_changes([change]) == line


def test_no_changes_is_said_plainly() -> None:
    assert describe_changes([]) == NO_CHANGE
    assert describe_changes(()) == NO_CHANGE


# --------------------------------------------------------------------------- never raises

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
