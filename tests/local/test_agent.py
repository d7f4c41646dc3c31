"""The rule-based agent as pure functions: message -> intent -> cost -> plan (English and Chinese)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from kling_ai_30.local import Costs, agent, intents
from kling_ai_30.local.intents import (
    AddMusic,
    AddSubtitle,
    AspectRatio,
    CameraMotion,
    Fade,
    RemoveMusic,
    SetTitle,
    SetVolume,
    Speed,
    TitleColor,
    Trim,
    interpret,
)
from kling_ai_30.local.state.records import empty_state


@pytest.mark.parametrize(
    ("message", "seconds", "motion", "subject"),
    [
        ("generate a photo of a mountain landscape into a 1080p MP4", 10, "zoom_in", "mountain landscape"),
        ("generate a 30-second cinematic video from this image with slow camera movement", 30, "zoom_in", ""),
        ("make a 5s preview video of a sunset over the sea", 5, "zoom_in", "sunset over the sea"),
        ("create a 30 sec clip of a city at night, zoom out", 30, "zoom_out", "city"),
        ("turn this photo into a video that pans left", 10, "pan_left", ""),
        ("generate half a minute of video about autumn leaves", 30, "zoom_in", "autumn leaves"),
        ("生成一段30秒的海边日落视频", 30, "zoom_in", "海边日落"),
        ("用这张照片生成一个半分钟的视频，镜头缓慢推进", 30, "zoom_in", ""),
        ("生成一个十五秒的城市夜景视频，向右平移", 15, "pan_right", "城市夜景"),
        ("把这张照片变成视频", 10, "zoom_in", ""),
    ],
)
def test_generation_requests_are_recognised_with_duration_motion_and_subject(
    message: str, seconds: int, motion: str, subject: str
) -> None:
    intent = interpret(message)

    assert intent.kind == "generate"
    assert intent.generate is not None
    assert (intent.generate.seconds, intent.generate.motion, intent.generate.subject) == (seconds, motion, subject)


@pytest.mark.parametrize(
    ("message", "edits"),
    [
        ("add background music", [AddMusic(None, None)]),
        ("upbeat music at 50%", [AddMusic("Upbeat", 0.5)]),
        ("change the music to jazz", [AddMusic("Jazz", None)]),
        ("添加背景音乐", [AddMusic(None, None)]),
        ("remove the music", [RemoveMusic()]),
        ("turn the music down", [SetVolume(None, -0.15)]),
        ("set volume to 20%", [SetVolume(0.2, 0.0)]),
        ("音量调到80%", [SetVolume(0.8, 0.0)]),
        ('add title "Urban Dreams"', [SetTitle("Urban Dreams")]),
        ("添加标题“城市之梦”", [SetTitle("城市之梦")]),
        ("title: Summer Trip", [SetTitle("Summer Trip")]),
        ('add title "Generate a 30s video now"', [SetTitle("Generate a 30s video now")]),
        ("add a caption 'It's sunny'", [AddSubtitle("It's sunny", "caption")]),
        ('add subtitle "A" and title "B"', [AddSubtitle("A"), SetTitle("B")]),
        ("添加字幕“你好”", [AddSubtitle("你好")]),
        ("change the title colour to red", [TitleColor("#ff3b30", "red")]),
        ("make the title #00ff00", [TitleColor("#00ff00", "#00ff00")]),
        ("标题改成蓝色", [TitleColor("#0a84ff", "blue")]),
        ("trim to 8 seconds", [Trim(8.0)]),
        ("剪到5秒", [Trim(5.0)]),
        ("裁剪到十秒", [Trim(10.0)]),
        ("make it vertical", [AspectRatio("9:16")]),
        ("switch to 16:9", [AspectRatio("16:9")]),
        ("make it square", [AspectRatio("1:1")]),
        ("横屏", [AspectRatio("16:9")]),
        ("add a fade in and out", [Fade(True, True)]),
        ("淡出", [Fade(False, True)]),
        ("make the intro slower", [Speed(0.5, True)]),
        ("speed it up 2x", [Speed(2.0, False)]),
        ("开头放慢一点", [Speed(0.5, True)]),
        ("pan right instead", [CameraMotion("pan_right")]),
    ],
)
def test_edit_requests_are_recognised(message: str, edits: list[Any]) -> None:
    intent = interpret(message)

    assert intent.kind == "edit"
    assert list(intent.edits) == edits


@pytest.mark.parametrize(
    "message", ["hello", "what can you do?", "don't add music", "别加音乐", "make the title bigger"]
)
def test_anything_else_is_a_text_reply(message: str) -> None:
    assert interpret(message).kind == "chat"


def test_export_requests_get_the_gui_export_answer() -> None:
    assert interpret("please export it").topic == "export"
    assert interpret("导出视频").topic == "export"


def test_words_inside_quotes_never_trigger_commands() -> None:
    intent = interpret('add subtitle "remove the music and generate a video"')

    assert list(intent.edits) == [AddSubtitle("remove the music and generate a video")]


@pytest.mark.parametrize(
    ("message", "language", "expected"),
    [("hi", None, "en"), ("hi", "zh-CN", "zh"), ("你好", None, "zh"), ("你好", "en", "zh"), ("hi", "ja", "en")],
)
def test_reply_language_follows_the_session_or_the_message(message: str, language: str | None, expected: str) -> None:
    assert intents.reply_language(message, language) == expected


@pytest.mark.parametrize(
    ("message", "price"),
    [
        ("generate a 5 second video of rain", 10),
        ("generate a 30-second video of rain", 60),
        ("add music", 5),
        ("hi", 0),
    ],
)
def test_costs_are_two_per_generated_second_five_per_edit_and_nothing_for_talk(message: str, price: int) -> None:
    assert intents.cost(interpret(message), Costs()) == price


def _ctx(**overrides: Any) -> agent.PlanContext:
    values: dict[str, Any] = {
        "base_url": "http://sim",
        "session_id": "1234567890123456789",
        "rng": random.Random(1),
        "costs": Costs(),
        "generation_seconds": 2.0,
        "edit_seconds": 0.5,
        "silent_edit_ratio": 0.3,
        "thought_ratio": 0.0,
    }
    values.update(overrides)
    return agent.PlanContext(**values)


def test_a_generation_plan_is_two_stage_and_makes_a_backdrop_when_there_is_no_photo() -> None:
    plan = agent.plan(interpret("generate a 10 second video of a forest"), empty_state(), _ctx())

    tools = [s for s in plan.steps if isinstance(s, agent.Tool)]
    assert [t.name for t in tools] == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]
    assert isinstance(plan.steps[0], agent.Say) and isinstance(plan.steps[-1], agent.Say)
    assert tools[0].produce[0].kind == "backdrop" and tools[1].produce[0].kind == "music"
    assert tools[0].seconds == 2.0 and tools[2].seconds == 0.5
    assert [t["tt"] for t in tools[0].state["draft"]["t"]] == [0]  # type: ignore[index]
    final = tools[2].state["draft"]  # type: ignore[index]
    assert [t["m"]["name"] for t in final["t"]] == ["Video", "BGM", "Title"]
    assert final["t"][2]["sg"][0]["m"]["text"] == "Forest"
    assert plan.charge == 20


def test_a_generation_plan_uses_the_given_photo_instead_of_a_backdrop() -> None:
    photo = agent.Source("http://sim/cdn/uploads/x/p.jpg", "image", "my dog", 400, 600)

    plan = agent.plan(interpret("animate this photo"), empty_state(), _ctx(source=photo))

    generate = next(s for s in plan.steps if isinstance(s, agent.Tool))
    assert generate.produce == ()
    assert generate.args["image_url"] == photo.url
    draft = generate.state["draft"]  # type: ignore[index]
    assert draft["t"][0]["sg"][0]["m"]["name"] == "my dog"
    assert draft["m"]["ratio"] == "9:16"  # a portrait photo makes a portrait video


def test_a_generation_without_music_skips_the_music_tool() -> None:
    plan = agent.plan(interpret("generate a video of the ocean without music"), empty_state(), _ctx())

    assert [s.name for s in plan.steps if isinstance(s, agent.Tool)] == [
        "generate_video_with_seedance",
        "edit_multitrack",
    ]


def test_silent_edits_are_decided_by_the_seeded_generator() -> None:
    state = agent.plan(interpret("generate a video of a lake"), empty_state(), _ctx()).steps[-2].state  # type: ignore[union-attr]
    full = {**empty_state(), **(state or {})}

    def pattern(seed: int) -> list[bool]:
        ctx = _ctx(rng=random.Random(seed))
        return [agent.plan(interpret(f'add title "T{i}"'), full, ctx).silent for i in range(200)]

    assert pattern(3) == pattern(3)
    assert pattern(3) != pattern(4)
    assert 0.2 <= sum(pattern(3)) / 200 <= 0.4


def test_an_override_forces_silence_or_speech() -> None:
    full = {**empty_state(), "draft": {"t": [{"tt": 0, "sg": [{"id": "seg_1", "st": 0, "d": 1000}]}], "d": 1000}}

    silent = agent.plan(interpret("add a fade out"), full, _ctx(silent_override=True))
    spoken = agent.plan(interpret("add a fade out"), full, _ctx(silent_override=False, silent_edit_ratio=1.0))

    assert silent.silent and not any(isinstance(s, agent.Say) for s in silent.steps)
    assert not spoken.silent and isinstance(spoken.steps[-1], agent.Say)


def test_an_edit_that_changes_nothing_says_why_and_costs_nothing() -> None:
    full = {**empty_state(), "draft": {"t": [{"tt": 0, "sg": [{"id": "seg_1", "st": 0, "d": 4000}]}], "d": 4000}}

    plan = agent.plan(interpret("remove the music"), full, _ctx())

    assert plan.charge == 0
    assert plan.steps == (agent.Say("Nothing to change: there is no background music to remove."),)


def test_chinese_generation_replies_use_gui_phrasing() -> None:
    texts = {
        step.text
        for seed in range(12)
        for step in agent.plan(interpret("生成一段5秒的森林视频"), empty_state(), _ctx(rng=random.Random(seed))).steps
        if isinstance(step, agent.Say)
    }

    assert "视频已生成！点击导出按钮即可下载，也可以打开时间线面板预览。" in texts
    assert any("拖拽标题" in t for t in texts)


def test_english_generation_replies_use_gui_phrasing() -> None:
    texts = {
        step.text
        for seed in range(12)
        for step in agent.plan(
            interpret("generate a 30-second video of a forest"), empty_state(), _ctx(rng=random.Random(seed))
        ).steps
        if isinstance(step, agent.Say)
    }

    assert (
        "Your 30-second video is ready! Click the Export button to download it, or open the timeline panel to preview."
        in texts
    )
    assert any("Preview in timeline" in t for t in texts)


def test_trim_shortens_every_track_and_drops_segments_past_the_end() -> None:
    draft = {
        "t": [
            {"tt": 0, "sg": [{"id": "seg_1", "st": 0, "d": 10000}]},
            {
                "tt": 7,
                "m": {"name": "Title"},
                "sg": [{"id": "seg_2", "st": 0, "d": 3000}, {"id": "seg_3", "st": 8000, "d": 2000}],
            },
        ],
        "d": 10000,
        "m": {},
    }

    plan = agent.plan(interpret("trim to 5 seconds"), {**empty_state(), "draft": draft}, _ctx())

    trimmed = next(s for s in plan.steps if isinstance(s, agent.Tool)).state["draft"]  # type: ignore[index]
    assert trimmed["d"] == 5000
    assert [seg["d"] for seg in trimmed["t"][0]["sg"]] == [5000]
    assert [seg["id"] for seg in trimmed["t"][1]["sg"]] == ["seg_2"]


def test_chinese_numerals_are_read() -> None:
    assert [intents.cn_number(s) for s in ("30", "三十", "十五", "十", "一百二十", "两")] == [30, 30, 15, 10, 120, 2]
