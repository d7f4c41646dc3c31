"""An agent run through /run_sse: two-stage generation, edits to the draft, replies, silent edits, charges."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import GENERATE, Api, png_bytes

pytestmark = pytest.mark.anyio


async def test_generation_is_two_stage_with_lofi_music_and_a_title(api: Api) -> None:
    account = await api.account()
    states: list[dict[str, Any]] = []

    async def on_frame(frame: str) -> None:
        if "functionResponse" in frame or "functionCall" in frame:
            states.append(await api.state(account))

    await api.send(account, "generate a 5-second video of a mountain lake", on_frame=on_frame)

    track_types = [[t["tt"] for t in s["draft"].get("t", [])] for s in states]
    # call generate -> (nothing yet); result -> video; call/result music; call edit -> still video; result -> all
    assert track_types[0] == []
    assert track_types[1] == [0]
    assert track_types[-1] == [0, 1, 7]
    draft = states[-1]["draft"]
    video, music, title = draft["t"]
    assert draft["d"] == 5000
    assert music["sg"][0]["m"] == {"name": "Lo-fi", "volume": 0.35}
    assert (title["sg"][0]["st"], title["sg"][0]["d"]) == (0, 3000)
    assert title["sg"][0]["m"]["text"] == "Mountain Lake"
    assert video["sg"][0]["m"]["motion"] == "zoom_in"


async def test_generated_media_is_served_from_the_cdn(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)

    state = await api.state(account)

    kinds = [m["type"] for m in state["generated_media"]]
    assert kinds == ["image", "audio"]
    image = await api.http.get(state["generated_media"][0]["url"])
    audio = await api.http.get(state["generated_media"][1]["url"])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    assert state["draft"]["t"][0]["sg"][0]["src"] == state["generated_media"][0]["url"]


async def test_generation_uses_the_latest_uploaded_photo_with_the_requested_motion(
    instant: LocalBackend, api: Api
) -> None:
    account = await api.account()
    await api.upload(account, ("first.png", png_bytes()))
    uploaded = (await api.upload(account, ("mountain_landscape.png", png_bytes(96, 54)))).json()["data"]["files"][0]

    stream = await api.send(account, "turn this photo into a 5 second clip with a slow zoom out")

    call = next(p["functionCall"] for p in stream.parts if "functionCall" in p)
    assert call["args"]["image_url"] == uploaded["cdn_url"]
    segment = (await api.state(account))["draft"]["t"][0]["sg"][0]
    assert segment["src"] == uploaded["cdn_url"]
    # A plain photo says nothing about what it shows, and its file name is no description.
    assert segment["m"] == {"name": "your photo", "kind": "image", "motion": "zoom_out"}


async def test_text_only_replies_are_free_and_change_nothing(api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, "what can you do?")

    assert stream.calls == []
    assert "generate" in stream.texts[-1].lower()
    assert await api.credits(account) == {"available": 100, "frozen": 0, "total": 100}


async def test_an_edit_costs_five_credits(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)

    await api.send(account, 'add title "Lake Days"')

    assert (await api.credits(account))["available"] == 100 - 10 - 5


async def test_an_edit_before_any_video_explains_and_costs_nothing(api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, "add background music")

    assert stream.calls == []
    assert "no video" in stream.texts[0].lower()
    assert (await api.credits(account))["available"] == 100


async def test_quoted_text_is_content_not_a_command(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)

    stream = await api.send(account, 'add title "Generate a 30-second video"')

    assert stream.calls == ["edit_multitrack"]
    titles = [t for t in (await api.state(account))["draft"]["t"] if t["m"]["name"] == "Title"]
    assert titles[0]["sg"][0]["m"]["text"] == "Generate a 30-second video"


@pytest.mark.parametrize(
    ("message", "check"),
    [
        ("upbeat music at 50%", lambda d: _track(d, "BGM")["sg"][0]["m"] == {"name": "Upbeat", "volume": 0.5}),
        ("turn the music down", lambda d: _track(d, "BGM")["sg"][0]["m"]["volume"] == 0.2),
        ("remove the background music", lambda d: not any(t["m"]["name"] == "BGM" for t in d["t"])),
        ('add subtitle "Hello lake"', lambda d: _track(d, "Subtitle")["sg"][0]["m"]["position"] == "bottom"),
        ("trim to 3 seconds", lambda d: d["d"] == 3000 and _track(d, "BGM")["sg"][0]["d"] == 3000),
        ("make it vertical", lambda d: (d["m"]["width"], d["m"]["height"], d["m"]["ratio"]) == (1080, 1920, "9:16")),
        ("1:1 square please", lambda d: (d["m"]["width"], d["m"]["height"]) == (1080, 1080)),
        ("add a fade in and out", lambda d: d["t"][0]["sg"][0]["m"]["fade_out_ms"] == 1000),
        ("make the intro slower", lambda d: d["t"][0]["sg"][0]["m"]["speed"] == 0.5),
        ("change the title colour to red", lambda d: _track(d, "Title")["sg"][0]["m"]["color"] == "#ff3b30"),
        ("剪到4秒", lambda d: d["d"] == 4000),
        ("竖屏", lambda d: d["m"]["ratio"] == "9:16"),
        ("添加标题“湖光”", lambda d: _track(d, "Title")["sg"][0]["m"]["text"] == "湖光"),
    ],
)
async def test_edits_change_the_draft(instant: LocalBackend, api: Api, message: str, check: Any) -> None:
    account = await api.account()
    await api.send(account, GENERATE)

    stream = await api.send(account, message)

    assert "edit_multitrack" in stream.calls
    assert check((await api.state(account))["draft"])


async def test_aspect_ratio_edit_updates_the_canvas_config(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)

    await api.send(account, "switch to portrait mode")

    assert (await api.state(account))["canvas_config"] == {"width": 1080, "height": 1920, "ratio": "9:16"}


def _track(draft: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in draft["t"] if t["m"]["name"] == name)


async def test_english_generation_reply_uses_gui_phrasing(instant: LocalBackend, api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, "generate a 5-second video of a beach")

    final = stream.texts[-1]
    assert re.search(r"Export|timeline|Drag", final), final
    assert "5-second" in final or "ready" in final


async def test_chinese_message_gets_a_chinese_gui_reply(instant: LocalBackend, api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, "生成一段5秒的海边日落视频")

    assert all(re.search(r"[\u4e00-\u9fff]", t) for t in stream.texts)
    assert re.search(r"导出|时间线|拖拽", stream.texts[-1])


async def test_a_chinese_session_language_makes_english_messages_answered_in_chinese(
    instant: LocalBackend, api: Api
) -> None:
    instant.faults.force_silent(False, times=None)
    account = await api.account(language="zh-CN")
    await api.send(account, GENERATE)

    stream = await api.send(account, 'add title "Lake"')

    assert stream.texts == ["标题已改为“Lake”。拖拽标题可调整位置。"]


async def test_title_edit_reply_tells_the_user_to_drag_the_title(instant: LocalBackend, api: Api) -> None:
    instant.faults.force_silent(False, times=None)
    account = await api.account()
    await api.send(account, GENERATE)

    stream = await api.send(account, 'add title "Lake Days"')

    assert stream.texts == ['Changed the title to "Lake Days". Drag the title to reposition it.']


async def test_forced_silent_edit_has_tool_events_and_no_text(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)
    instant.faults.force_silent(True, times=1)

    silent = await api.send(account, "add a fade out")

    assert silent.calls == ["edit_multitrack"] and silent.results == ["edit_multitrack"]
    assert silent.texts == [] and silent.thoughts == []
    assert (await api.state(account))["draft"]["t"][0]["sg"][0]["m"]["fade_out_ms"] == 1000


async def test_never_silent_makes_every_edit_speak(instant: LocalBackend, api: Api) -> None:
    instant.configure(silent_edit_ratio=1.0)
    instant.faults.force_silent(False, times=None)
    account = await api.account()
    await api.send(account, GENERATE)

    streams = [await api.send(account, f"trim to {n} seconds") for n in (4, 3, 2)]

    assert all(s.texts for s in streams)


async def _silent_pattern(backend: LocalBackend, api: Api, edits: int) -> list[bool]:
    account = await api.account()
    backend.faults.set_credits(account.user_id, 10_000)
    await api.send(account, GENERATE)
    pattern = []
    for i in range(edits):
        stream = await api.send(account, f'add title "Take {i}"')
        pattern.append(not stream.texts)
    return pattern


async def test_silent_edits_follow_the_ratio_and_repeat_under_the_same_seed(backend: LocalBackend, api: Api) -> None:
    backend.configure(edit_seconds=0.0, generation_seconds=0.0, seed=7)

    first = await _silent_pattern(backend, api, 40)
    backend.reset()
    backend.configure(edit_seconds=0.0, generation_seconds=0.0, seed=7)
    second = await _silent_pattern(backend, api, 40)

    assert first == second
    assert 0.15 <= sum(first) / len(first) <= 0.45


async def test_generation_replies_are_never_silent(backend: LocalBackend, api: Api) -> None:
    backend.configure(silent_edit_ratio=1.0, generation_seconds=0.0)
    account = await api.account()

    stream = await api.send(account, "generate a 2 second video of snow")

    assert stream.texts


async def test_a_painted_still_is_named_by_what_it_shows_and_a_plain_photo_never_by_its_file(
    instant: LocalBackend, api: Api, tmp_path: Path
) -> None:
    from kling_ai_30.local.media.backdrop.painter import make_backdrop

    painted = make_backdrop("a mountain landscape at golden hour", 96, 54, tmp_path / "IMG_0001.jpg")
    account = await api.account()
    await api.upload(account, ("IMG_0001.jpg", painted.read_bytes()))
    await api.send(account, "generate a 5-second video from this image")
    draft = (await api.state(account))["draft"]
    assert draft["t"][0]["sg"][0]["m"]["name"] == "mountain landscape at sunset"
    assert _track(draft, "Title")["sg"][0]["m"]["text"] == "Mountain Dreams"

    await api.upload(account, ("IMG_0002.png", png_bytes()))
    stream = await api.send(account, "生成一段5秒的视频")
    draft = (await api.state(account))["draft"]
    assert draft["t"][0]["sg"][0]["m"]["name"] == "这张照片"
    assert not any("IMG" in text or "0002" in text for text in stream.texts)
