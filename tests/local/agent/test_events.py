"""The /run_sse events on the wire: compact SSE data lines, ADK fields, heartbeats, thoughts, the typed vocabulary."""

from __future__ import annotations

import re

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import GENERATE, HEARTBEAT_FRAMES, Api

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
