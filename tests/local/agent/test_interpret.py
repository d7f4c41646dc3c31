"""Reading a message into a priced intent, as pure functions (English and Chinese)."""

from __future__ import annotations

from typing import Any

import pytest

from kling_ai_30.local import Costs
from kling_ai_30.local.agent.intent import (
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
    cost,
)
from kling_ai_30.local.agent.interpret import interpret, reply_language
from kling_ai_30.local.agent.lexicon import cn_number


@pytest.mark.parametrize(
    ("message", "seconds", "motion", "subject"),
    [
        ("generate a photo of a mountain landscape into a 1080p MP4", 10, "zoom_in", "mountain landscape"),
        ("generate a 30-second cinematic video from this image with slow camera movement", 30, "zoom_in", ""),
        ("make a 5s preview video of a sunset over the sea", 5, "zoom_in", "sunset over the sea"),
        ("create a 30 sec clip of a city at night, zoom out", 30, "zoom_out", "city at night"),
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
    assert reply_language(message, language) == expected


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
    assert cost(interpret(message), Costs()) == price


def test_chinese_numerals_are_read() -> None:
    assert [cn_number(s) for s in ("30", "三十", "十五", "十", "一百二十", "两")] == [30, 30, 15, 10, 120, 2]
