"""The agent's plan for an intent, as data: what it says, which tools it calls, what they produce and change."""

from __future__ import annotations

import random
from typing import Any

from kling_ai_30.local import Costs
from kling_ai_30.local.agent import plan as planner
from kling_ai_30.local.agent.interpret import interpret
from kling_ai_30.local.state.records import empty_state


def _ctx(**overrides: Any) -> planner.PlanContext:
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
    return planner.PlanContext(**values)


def test_a_generation_plan_is_two_stage_and_makes_a_backdrop_when_there_is_no_photo() -> None:
    plan = planner.plan(interpret("generate a 10 second video of a forest"), empty_state(), _ctx())

    tools = [s for s in plan.steps if isinstance(s, planner.Tool)]
    assert [t.name for t in tools] == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]
    assert isinstance(plan.steps[0], planner.Say) and isinstance(plan.steps[-1], planner.Say)
    assert tools[0].produce[0].kind == "backdrop" and tools[1].produce[0].kind == "music"
    assert tools[0].seconds == 2.0 and tools[2].seconds == 0.5
    assert [t["tt"] for t in tools[0].state["draft"]["t"]] == [0]  # type: ignore[index]
    final = tools[2].state["draft"]  # type: ignore[index]
    assert [t["m"]["name"] for t in final["t"]] == ["Video", "BGM", "Title"]
    assert final["t"][2]["sg"][0]["m"]["text"] == "Forest"
    assert plan.charge == 20


def test_a_generation_plan_uses_the_given_photo_instead_of_a_backdrop() -> None:
    photo = planner.Source("http://sim/cdn/uploads/x/p.jpg", "image", "my dog", 400, 600)

    plan = planner.plan(interpret("animate this photo"), empty_state(), _ctx(source=photo))

    generate = next(s for s in plan.steps if isinstance(s, planner.Tool))
    assert generate.produce == ()
    assert generate.args["image_url"] == photo.url
    draft = generate.state["draft"]  # type: ignore[index]
    assert draft["t"][0]["sg"][0]["m"]["name"] == "my dog"
    assert draft["m"]["ratio"] == "9:16"  # a portrait photo makes a portrait video


def test_a_generation_without_music_skips_the_music_tool() -> None:
    plan = planner.plan(interpret("generate a video of the ocean without music"), empty_state(), _ctx())

    assert [s.name for s in plan.steps if isinstance(s, planner.Tool)] == [
        "generate_video_with_seedance",
        "edit_multitrack",
    ]


def test_silent_edits_are_decided_by_the_seeded_generator() -> None:
    state = planner.plan(interpret("generate a video of a lake"), empty_state(), _ctx()).steps[-2].state  # type: ignore[union-attr]
    full = {**empty_state(), **(state or {})}

    def pattern(seed: int) -> list[bool]:
        ctx = _ctx(rng=random.Random(seed))
        return [planner.plan(interpret(f'add title "T{i}"'), full, ctx).silent for i in range(200)]

    assert pattern(3) == pattern(3)
    assert pattern(3) != pattern(4)
    assert 0.2 <= sum(pattern(3)) / 200 <= 0.4


def test_an_override_forces_silence_or_speech() -> None:
    full = {**empty_state(), "draft": {"t": [{"tt": 0, "sg": [{"id": "seg_1", "st": 0, "d": 1000}]}], "d": 1000}}

    silent = planner.plan(interpret("add a fade out"), full, _ctx(silent_override=True))
    spoken = planner.plan(interpret("add a fade out"), full, _ctx(silent_override=False, silent_edit_ratio=1.0))

    assert silent.silent and not any(isinstance(s, planner.Say) for s in silent.steps)
    assert not spoken.silent and isinstance(spoken.steps[-1], planner.Say)


def test_an_edit_that_changes_nothing_says_why_and_costs_nothing() -> None:
    full = {**empty_state(), "draft": {"t": [{"tt": 0, "sg": [{"id": "seg_1", "st": 0, "d": 4000}]}], "d": 4000}}

    plan = planner.plan(interpret("remove the music"), full, _ctx())

    assert plan.charge == 0
    assert plan.steps == (planner.Say("Nothing to change: there is no background music to remove."),)


def test_chinese_generation_replies_use_gui_phrasing() -> None:
    texts = {
        step.text
        for seed in range(12)
        for step in planner.plan(interpret("生成一段5秒的森林视频"), empty_state(), _ctx(rng=random.Random(seed))).steps
        if isinstance(step, planner.Say)
    }

    assert "视频已生成！点击导出按钮即可下载，也可以打开时间线面板预览。" in texts
    assert any("拖拽标题" in t for t in texts)


def test_english_generation_replies_use_gui_phrasing() -> None:
    texts = {
        step.text
        for seed in range(12)
        for step in planner.plan(
            interpret("generate a 30-second video of a forest"), empty_state(), _ctx(rng=random.Random(seed))
        ).steps
        if isinstance(step, planner.Say)
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

    plan = planner.plan(interpret("trim to 5 seconds"), {**empty_state(), "draft": draft}, _ctx())

    trimmed = next(s for s in plan.steps if isinstance(s, planner.Tool)).state["draft"]  # type: ignore[index]
    assert trimmed["d"] == 5000
    assert [seg["d"] for seg in trimmed["t"][0]["sg"]] == [5000]
    assert [seg["id"] for seg in trimmed["t"][1]["sg"]] == ["seg_2"]
