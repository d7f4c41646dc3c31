"""What the project tells people to say is what the offline agent understands, and how it answers:
the skill text's examples, the README's, SKILL.md's, the command line's help and hints, English
and Chinese; subjects from the request, else from the picture's own description, never its name."""

from __future__ import annotations

import contextlib
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest

from kling_ai_30.cli.main import main
from kling_ai_30.local import Costs
from kling_ai_30.local.agent import plan as planner
from kling_ai_30.local.agent.intent import AddMusic, AspectRatio, Fade, RemoveMusic, SetTitle, SetVolume
from kling_ai_30.local.agent.interpret import interpret
from kling_ai_30.local.state.records import empty_state

ROOT = Path(__file__).resolve().parents[3]
GENERATION_EXAMPLE = re.compile(r'"((?:generate|generating|an? \d+-second)\b[^"]*)"')  # as users say them: lower case


def project_examples() -> list[str]:
    """Every generation request the project's own texts suggest, quoted as written."""
    texts = [(ROOT / name).read_text(encoding="utf-8") for name in ("SKILL.md", "README.md")]
    texts.append((ROOT / "server/kling_ai_30/workspace/export.py").read_text(encoding="utf-8"))  # the export hint
    texts.append(_help_of("generate"))
    flowing = [" ".join(text.split()) for text in texts]  # help text and prose wrap their lines
    found = {m.group(1).rstrip(".") for text in flowing for m in GENERATION_EXAMPLE.finditer(text)}
    return sorted(found)


def _help_of(command: str) -> str:
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.suppress(SystemExit):
        main([command, "--help"])
    return shown.getvalue()


def test_the_project_suggests_the_examples_this_file_checks() -> None:
    assert set(project_examples()) >= {
        "generate a photo of a mountain landscape into a 1080p MP4",
        "generate a 30-second cinematic video from this image with slow camera movement",
        "generating 30-second AI videos from images or text prompts for content creators",
        "generate a 5-second preview from this image with slow camera movement",
        "a 5-second preview of waves at sunset",
        "generate a 5-second preview of a mountain landscape",
    }


@pytest.mark.parametrize("message", project_examples())
def test_every_example_the_project_suggests_generates_a_video(message: str) -> None:
    intent = interpret(message)

    assert intent.kind == "generate", message
    assert intent.generate is not None and 1 <= intent.generate.seconds <= 60


@pytest.mark.parametrize(
    ("message", "seconds", "subject"),
    [
        # The skill text's "Try saying" and its workflows
        ("generate a photo of a mountain landscape into a 1080p MP4", 10, "mountain landscape"),
        ("generate a 30-second cinematic video from this image with slow camera movement", 30, ""),
        ("generating 30-second AI videos from images or text prompts for content creators", 30, ""),
        # README, SKILL.md, `generate --help`, the export hint
        ("generate a 5-second preview from this image with slow camera movement", 5, ""),
        ("a 30-second cinematic video of this beach", 30, "beach"),
        ("a 5-second preview of waves at sunset", 5, "waves at sunset"),
        ("generate a 5-second preview of a mountain landscape", 5, "mountain landscape"),
        # more ways of saying it
        ("make a 10-second vertical video of a waterfall in the rain", 10, "waterfall in the rain"),
        ("I want a 1 minute clip of a busy street at night", 60, "busy street at night"),
        ("create a 1.5 min timelapse of clouds over the alps", 90, "clouds over the alps"),
        ("generate half a minute of video about autumn leaves", 30, "autumn leaves"),
        ("generate a video: waves crashing on rocks", 10, "waves crashing on rocks"),
        ("a sunset beach clip, 8 seconds", 8, "sunset beach"),
        ("turn this photo into a 15 second video", 15, ""),
        # Chinese
        ("生成一段30秒的山景电影感视频", 30, "山景"),
        ("生成一段30秒的海边日落视频", 30, "海边日落"),
        ("把这张照片做成30秒视频", 30, ""),
        ("用这张照片生成一段5秒的预览，镜头缓慢推进", 5, ""),
        ("一段十秒的城市夜景视频", 10, "城市夜景"),
        ("来一段关于猫咪的短视频", 10, "猫咪"),
        ("生成一个一分钟的森林视频", 60, "森林"),
        ("做一段半分钟的雪山视频", 30, "雪山"),
    ],
)
def test_generation_requests_say_how_long_and_what_about(message: str, seconds: int, subject: str) -> None:
    intent = interpret(message)

    assert intent.kind == "generate", message
    assert intent.generate is not None
    assert (intent.generate.seconds, intent.generate.subject) == (seconds, subject)


@pytest.mark.parametrize(
    ("message", "edits"),
    [
        ("make a 5 second portrait video of a dancer", [AspectRatio("9:16")]),
        ("generate a 10 second video of the sea for tiktok", [AspectRatio("9:16")]),
        ("generate a square 5-second clip of coffee", [AspectRatio("1:1")]),
        ("generate a 5 second video of rain in 1:1 without music", [AspectRatio("1:1"), RemoveMusic()]),
        ("a 20-second widescreen video of a desert", [AspectRatio("16:9")]),
        ("generate a 30-second video of a forest with piano music", [AddMusic("Piano", None)]),
        ('a 10-second video of the sea called "Blue Hour"', [SetTitle("Blue Hour")]),
        ('generate a 5 second video of a lake with the title "Still"', [SetTitle("Still")]),
        ("生成一段10秒的竖屏城市夜景视频，配上钢琴音乐", [AspectRatio("9:16"), AddMusic("Piano", None)]),
        ("生成一段名为“夏日”的海滩视频", [SetTitle("夏日")]),
        ("生成一段5秒的方形视频，不要音乐", [AspectRatio("1:1"), RemoveMusic()]),
    ],
)
def test_a_generation_request_carries_its_ratio_music_and_title(message: str, edits: list[Any]) -> None:
    intent = interpret(message)

    assert intent.kind == "generate", message
    assert list(intent.edits) == edits


@pytest.mark.parametrize(
    ("message", "edits"),
    [
        ('add the title "Alpine Morning" and piano music', [SetTitle("Alpine Morning"), AddMusic("Piano", None)]),
        ("把标题改成“海边的早晨”，音乐调小一点", [SetTitle("海边的早晨"), SetVolume(None, -0.15)]),
        ('change the title to "Hi", and make the music quieter', [SetTitle("Hi"), SetVolume(None, -0.15)]),
        ("make it 9:16 and add a fade-out", [AspectRatio("9:16"), Fade(False, True)]),
        ("换成竖屏，加上欢快的音乐", [AspectRatio("9:16"), AddMusic("Upbeat", None)]),
    ],
)
def test_one_message_may_ask_for_several_edits(message: str, edits: list[Any]) -> None:
    intent = interpret(message)

    assert intent.kind == "edit", message
    assert list(intent.edits) == edits


def _ctx(source: planner.Source | None = None, seed: int = 0) -> planner.PlanContext:
    return planner.PlanContext(
        base_url="http://sim",
        session_id="1234567890123456789",
        rng=random.Random(seed),
        costs=Costs(),
        generation_seconds=1.0,
        edit_seconds=0.1,
        silent_edit_ratio=0.3,
        thought_ratio=0.0,
        source=source,
    )


def replies_to(message: str, source: planner.Source | None = None) -> set[str]:
    """Everything the agent may say to `message`, over enough seeds to hear every phrasing."""
    return {
        step.text
        for seed in range(12)
        for step in planner.plan(interpret(message), empty_state(), _ctx(source, seed)).steps
        if isinstance(step, planner.Say)
    }


def generated(message: str, source: planner.Source | None = None) -> dict[str, Any]:
    """The draft a generation leaves on the timeline."""
    steps = planner.plan(interpret(message), empty_state(), _ctx(source)).steps
    return [s for s in steps if isinstance(s, planner.Tool)][-1].state["draft"]  # type: ignore[index,no-any-return]


PHOTO = planner.Source("http://sim/cdn/uploads/1/IMG_2041.jpg", "image", "", 1920, 1080)
PAINTED = planner.Source("http://sim/cdn/uploads/1/x.jpg", "image", "mountain landscape at sunset", 1920, 1080)


@pytest.mark.parametrize(
    ("message", "source", "name", "title", "said"),
    [
        (
            "a 5-second preview of waves at sunset",
            None,
            "waves at sunset",
            "Waves at Sunset",
            "Sure — I'll generate a 5-second video of waves at sunset with a slow zoom-in.",
        ),
        (
            "generate a 30-second cinematic video from this image with slow camera movement",
            PAINTED,
            "mountain landscape at sunset",
            "Mountain Dreams",
            "Sure — I'll generate a 30-second video of a mountain landscape at sunset with a slow zoom-in.",
        ),
        (
            "generate a 30-second cinematic video from this image with slow camera movement",
            PHOTO,
            "your photo",
            "Moments in Motion",
            "Sure — I'll generate a 30-second video from your photo with a slow zoom-in.",
        ),
        (
            "生成一段30秒的山景电影感视频",
            None,
            "山景",
            "山景",
            "好的，我来生成一段30秒的山景视频，镜头缓慢推进，通常需要一两分钟。",
        ),
        (
            "把这张照片做成30秒视频",
            PHOTO,
            "这张照片",
            "流动的瞬间",
            "好的，我来用这张照片生成一段30秒的视频，镜头缓慢推进，通常需要一两分钟。",
        ),
        (
            "用这张照片生成一段30秒的视频，镜头缓慢推进",
            PAINTED,
            "日落山景",
            "山间梦境",
            "好的，我来生成一段30秒的日落山景视频，镜头缓慢推进，通常需要一两分钟。",
        ),
    ],
)
def test_the_clip_is_named_from_the_request_or_the_picture_and_said_correctly(
    message: str, source: planner.Source | None, name: str, title: str, said: str
) -> None:
    draft = generated(message, source)

    assert draft["t"][0]["sg"][0]["m"]["name"] == name
    assert next(t for t in draft["t"] if t["m"]["name"] == "Title")["sg"][0]["m"]["text"] == title
    assert any(text.startswith(said) for text in replies_to(message, source)), replies_to(message, source)


@pytest.mark.parametrize(
    "message",
    [
        "把这张照片做成30秒视频",
        "生成一段30秒的山景电影感视频",
        "用这张照片生成一个半分钟的视频，镜头缓慢推进",
        "生成一段10秒的竖屏城市夜景视频，配上钢琴音乐，标题为“夜色”",
        "一段十秒的城市夜景视频",
    ],
)
@pytest.mark.parametrize("source", [None, PHOTO, PAINTED], ids=["prompt", "photo", "painted"])
def test_chinese_replies_are_well_formed(message: str, source: planner.Source | None) -> None:
    for text in replies_to(message, source):
        assert re.search(r"[\u4e00-\u9fff]", text)
        # The garbles of old: a verb taken for the subject, a length said twice, a noun doubled.
        assert not re.search(r"的成|秒的\d+秒|视频视频|的的|IMG|2041", text), text


@pytest.mark.parametrize("source", [PHOTO, PAINTED], ids=["photo", "painted"])
def test_an_upload_is_never_named_after_its_file(source: planner.Source) -> None:
    for message in ("animate this photo", "generate a 10-second video from this image", "把这张照片变成视频"):
        draft = generated(message, source)
        said = " ".join(replies_to(message, source))
        assert "IMG" not in draft["t"][0]["sg"][0]["m"]["name"] and "2041" not in said and "x.jpg" not in said
