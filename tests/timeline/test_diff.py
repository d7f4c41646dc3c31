"""State diffs: what changed between two drafts (and canvases), matched sensibly, and the ✅ lines that say so."""

from __future__ import annotations

import pytest

from kling_ai_30.timeline import (
    Change,
    ChangeKind,
    describe_changes,
    diff,
    read_tracks,
)

from .drafts import NO_CHANGE, SKILL_EXAMPLE, audio, clip, draft, text, video


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
