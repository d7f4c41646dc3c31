"""The skill text's summary line: tracks, times, volumes, and what an empty or unreadable draft says."""

from __future__ import annotations

import pytest

from kling_ai_30.timeline import (
    is_exportable,
    read_tracks,
    summarize,
)

from .drafts import EMPTY, SKILL_EXAMPLE, audio, clip, draft, text, video


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
