"""/run_sse: ADK framing, heartbeats, two-stage generation, credits, silent edits, replies (api notes §5)."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from kling_ai_30.local import LocalBackend

from .conftest import GENERATE, HEARTBEAT_FRAMES, Api, png_bytes

pytestmark = pytest.mark.anyio

ADK_KEYS = {"content", "invocationId", "author", "actions", "id", "timestamp"}


async def test_every_frame_is_one_compact_data_line_or_a_heartbeat_and_nothing_else(api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, GENERATE)

    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.raw.endswith("\n\n")
    for frame in stream.frames:
        assert "\n" not in frame, frame
        assert frame in HEARTBEAT_FRAMES or frame.startswith("data: {"), frame
        assert not frame.startswith(("event:", "id:", "retry:"))
    assert "[DONE]" not in stream.raw
    last = stream.events[-1]
    assert "content" in last and "functionResponse" not in str(last)  # ends on the reply: no sentinel


async def test_adk_events_use_camel_case_and_the_documented_fields(api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, GENERATE)

    events = stream.events
    assert {e["invocationId"] for e in events} == {events[0]["invocationId"]}
    assert re.fullmatch(r"e-[0-9a-f-]{36}", events[0]["invocationId"])
    for event in events:
        assert set(event) >= ADK_KEYS, event
        assert event["author"] == "nemo_agent"
        assert event["actions"] == {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}}
        assert re.fullmatch(r"[A-Za-z0-9]{8}", event["id"])
        assert isinstance(event["timestamp"], float)
        assert not any("_" in key for key in event)
        part = event["content"]["parts"][-1]
        if "functionCall" in part:
            assert event["content"]["role"] == "model"
            assert event["longRunningToolIds"] == []
            assert re.fullmatch(r"adk-[0-9a-f-]{36}", part["functionCall"]["id"])
        elif "functionResponse" in part:
            assert event["content"]["role"] == "user"
            assert "longRunningToolIds" not in event
        else:
            assert event["content"]["role"] == "model"


async def test_tool_calls_and_results_pair_up_by_id(api: Api) -> None:
    account = await api.account()

    stream = await api.send(account, GENERATE)

    calls = [p["functionCall"] for p in stream.parts if "functionCall" in p]
    results = [p["functionResponse"] for p in stream.parts if "functionResponse" in p]
    assert [c["id"] for c in calls] == [r["id"] for r in results]
    assert [c["name"] for c in calls] == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]


async def test_heartbeats_come_in_all_three_forms_while_a_tool_runs(backend: LocalBackend, api: Api) -> None:
    backend.configure(generation_seconds=0.3, heartbeat_every_s=0.05)
    account = await api.account()

    stream = await api.send(account, GENERATE)

    assert set(stream.heartbeats) == set(HEARTBEAT_FRAMES)
    first_call = stream.raw.index("functionCall")
    first_result = stream.raw.index("functionResponse")
    between = stream.raw[first_call:first_result]
    assert all(form + "\n\n" in between for form in HEARTBEAT_FRAMES)


async def test_thought_parts_are_marked_and_separate_from_the_reply(backend: LocalBackend, api: Api) -> None:
    backend.configure(thought_ratio=1.0)
    account = await api.account()

    stream = await api.send(account, GENERATE)

    assert stream.thoughts
    first = stream.events[0]["content"]["parts"]
    assert first[0]["thought"] is True
    assert "thought" not in first[1]
    assert not any(t in stream.texts for t in stream.thoughts)


async def test_no_thought_parts_when_the_ratio_is_zero(backend: LocalBackend, api: Api) -> None:
    backend.configure(thought_ratio=0.0)
    account = await api.account()

    stream = await api.send(account, GENERATE)

    assert stream.thoughts == []


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
    assert segment["m"] == {"name": "mountain landscape", "kind": "image", "motion": "zoom_out"}


async def test_credits_are_frozen_during_a_run_then_spent(api: Api) -> None:
    account = await api.account()
    during: list[dict[str, int]] = []

    async def on_frame(frame: str) -> None:
        if "functionCall" in frame and not during:
            during.append(await api.credits(account))

    await api.send(account, "generate a 30-second video of a city at night", on_frame=on_frame)

    assert during == [{"available": 40, "frozen": 60, "total": 100}]
    await anyio.sleep(0)  # settled before the response closed
    assert await api.credits(account) == {"available": 40, "frozen": 0, "total": 40}


async def test_a_generation_that_costs_more_than_the_balance_is_refused_before_streaming(api: Api) -> None:
    account = await api.account()
    await api.http.post("/_sim/faults", json={"set_credits": {"user_id": account.user_id, "available": 59}})

    stream = await api.send(account, "generate a 30-second video of a forest")

    assert stream.status == 200
    assert stream.json_body["code"] == 2001
    assert stream.json_body["data"] is None
    assert f"register?bind={account.user_id}" in stream.json_body["message"]
    assert (await api.state(account))["draft"] == {}
    assert await api.credits(account) == {"available": 59, "frozen": 0, "total": 59}


async def test_a_registered_user_without_credits_is_told_to_top_up(api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 0})).json()
    account = await api.account(token=made["token"])

    stream = await api.send(account, GENERATE)

    assert stream.json_body["code"] == 2001
    assert "Top up credits in your account" in stream.json_body["message"]


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


async def test_typed_vocabulary_sends_simple_objects(instant: LocalBackend, api: Api) -> None:
    instant.configure(vocabulary="typed", thought_ratio=1.0)
    account = await api.account()

    stream = await api.send(account, GENERATE)

    types = [e["type"] for e in stream.events]
    assert set(types) == {"text", "tool_call", "tool_result"}
    assert types[0] == "text" and types[-1] == "text"
    assert stream.events[1]["name"] == "generate_video_with_seedance"
    assert stream.events[2]["result"]["status"] == "success"
    assert stream.thoughts == []


async def test_camel_case_request_keys_are_accepted(api: Api) -> None:
    account = await api.account()
    body = {
        "appName": "nemo_agent",
        "userId": account.user_id,
        "sessionId": account.session_id,
        "newMessage": {"parts": [{"text": "hello"}], "role": "user"},
        "streaming": False,
    }

    stream = await api.send(account, "", body=body)

    assert stream.status == 200 and stream.texts


@pytest.mark.parametrize(
    ("new_message", "loc"),
    [
        ({"parts": [{"text": "hi"}], "colour": "red"}, ["body", "new_message", "colour"]),
        ({"parts": [{"text": "hi", "bold": True}]}, ["body", "new_message", "parts", 0, "bold"]),
    ],
)
async def test_unknown_keys_inside_the_message_are_a_422(api: Api, new_message: dict[str, Any], loc: list[Any]) -> None:
    account = await api.account()
    body = {**api.run_body(account, ""), "new_message": new_message}

    stream = await api.send(account, "", body=body)

    assert stream.status == 422
    assert stream.json_body["detail"][0]["loc"] == loc
    assert stream.json_body["detail"][0]["type"] == "extra_forbidden"


async def test_a_missing_session_id_is_a_422(api: Api) -> None:
    account = await api.account()
    body = api.run_body(account, "hi")
    del body["session_id"]

    stream = await api.send(account, "", body=body)

    assert stream.status == 422


async def test_unknown_session_is_an_adk_404(api: Api) -> None:
    account = await api.account()
    body = {**api.run_body(account, "hi"), "session_id": "1234567890123456789"}

    stream = await api.send(account, "", body=body)

    assert stream.status == 404
    assert stream.json_body == {"detail": "Session not found: 1234567890123456789"}


async def test_another_users_session_is_not_found(api: Api) -> None:
    mine, theirs = await api.account(), await api.account()
    body = api.run_body(theirs, "hi")

    stream = await api.send(mine, "", body=body)

    assert stream.status == 404


async def test_a_lost_session_is_404_on_run_sse_and_1002_on_rest(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.lose_session(account.session_id)

    stream = await api.send(account, "hello")
    state = await api.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)

    assert stream.status == 404
    assert (state.status_code, state.json()["code"]) == (404, 1002)


async def test_a_bad_token_on_run_sse_is_1001(api: Api) -> None:
    account = await api.account()
    account.token = "nmv_usr_nope"

    stream = await api.send(account, "hello")

    assert (stream.status, stream.json_body["code"]) == (401, 1001)


async def test_state_has_the_five_documented_keys(api: Api) -> None:
    account = await api.account()

    r = await api.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)

    data = r.json()["data"]
    assert (data["session_id"], data["task_id"], data["task_name"]) == (account.session_id, account.task_id, "project")
    assert set(data["state"]) == {"video_infos", "draft", "canvas_config", "video_analyses", "generated_media"}
    assert data["state"]["canvas_config"] == {"width": 1920, "height": 1080, "ratio": "16:9"}


async def test_state_of_someone_elses_session_is_1002(api: Api) -> None:
    mine, theirs = await api.account(), await api.account()

    r = await api.http.get(f"/api/state/nemo_agent/me/{theirs.session_id}/latest", headers=mine.headers)

    assert (r.status_code, r.json()["code"]) == (404, 1002)
