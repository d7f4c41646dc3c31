"""The intent router, through its public surface: route() and the plan it returns.

Most behaviour is in the tables under ``data/``: ``dev_cases.tsv`` is the public development set
(first action only); the others give the whole plan, grouped by the principle they exercise, with
the borderline decisions explained in their comment lines.
"""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path

import pydantic
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kling_ai_30.router as router_package
from kling_ai_30.router import Action, RoutePlan, Step, route
from kling_ai_30.router.tables import IntentTables, load_tables

DATA = Path(__file__).parent / "data"
PLAN_TABLES = (
    "basics.tsv",
    "attachments.tsv",
    "quotes.tsv",
    "negation.tsv",
    "context.tsv",
    "multi_intent.tsv",
    "normalisation.tsv",
)


@dataclass(frozen=True)
class Case:
    id: str
    plan: tuple[Action, ...]
    attachments: tuple[str, ...]
    text: str


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    # The utterance is the last column and may hold tabs of its own; "\n" in it is a newline.
    return [line.split("\t", 3) for line in lines if line.strip() and not line.startswith("#")]


def _attachments(count: int) -> tuple[str, ...]:
    return tuple(f"/tmp/attachment-{i}.jpg" for i in range(count))


def _dev_cases() -> list[Case]:
    cases = []
    for number, (first, attached, text) in enumerate((row[0], row[1], row[2]) for row in _rows("dev_cases.tsv")):
        attachments = _attachments(1 if attached == "yes" else 0)
        cases.append(Case(f"dev-{number:02d}-{first}", (Action(first),), attachments, text))
    return cases


def _plan_cases() -> list[Case]:
    cases = []
    for name in PLAN_TABLES:
        for row in _rows(name):
            case_id, plan, count, text = (*row, "")[:4]
            actions = tuple(Action(a) for a in plan.split(","))
            cases.append(Case(case_id, actions, _attachments(int(count)), text.replace("\\n", "\n")))
    return cases


DEV_CASES = _dev_cases()
PLAN_CASES = _plan_cases()


@pytest.fixture(autouse=True)
def private_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """route() touches no files: a home that does not exist stands in for the shared fixture's
    fresh temporary one, which would double the time of these few hundred table rows."""
    home = Path("/nonexistent/kling-ai-30-router-test-home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    return home


def test_every_case_id_is_unique_and_the_tables_are_large_enough() -> None:
    ids = [case.id for case in PLAN_CASES]
    assert len(ids) == len(set(ids))
    assert len(PLAN_CASES) >= 150


@pytest.mark.parametrize("case", DEV_CASES, ids=[case.id for case in DEV_CASES])
def test_public_dev_cases_route_to_their_first_action(case: Case) -> None:
    assert route(case.text, case.attachments).first.action is case.plan[0]


@pytest.mark.parametrize("case", PLAN_CASES, ids=[case.id for case in PLAN_CASES])
def test_case_tables_give_the_whole_plan(case: Case) -> None:
    plan = route(case.text, case.attachments)
    assert tuple(step.action for step in plan.steps) == case.plan


# ------------------------------------------------------------------ what the steps carry


def test_attachments_come_first_in_the_order_given_then_links_from_the_text() -> None:
    plan = route("here is the clip: https://example.com/v/a.mp4, add music", ["/x/1.png", "/x/2.mov"])
    assert [step.source for step in plan.steps if step.action is Action.UPLOAD] == [
        "/x/1.png",
        "/x/2.mov",
        "https://example.com/v/a.mp4",
    ]
    assert plan.steps[-1] == Step.of(Action.SSE, text="add music")


def test_repeated_and_blank_attachments_are_uploaded_once_or_not_at_all() -> None:
    plan = route("https://a.com/x.mp4", ["/x/1.png", "/x/1.png", "  ", "https://a.com/x.mp4"])
    assert [step.source for step in plan.steps] == ["/x/1.png", "https://a.com/x.mp4"]


def test_a_link_keeps_the_users_spelling_and_loses_trailing_punctuation() -> None:
    plan = route("Use this video: https://Example.com/Clips/Beach.MP4.")
    assert plan.steps == (Step.of(Action.UPLOAD, source="https://Example.com/Clips/Beach.MP4"),)


def test_upload_without_a_file_has_no_source_so_the_caller_asks_for_one() -> None:
    assert route("upload a video").steps == (Step.of(Action.UPLOAD, source=None),)


def test_the_chat_message_is_the_users_text_when_nothing_was_taken_out() -> None:
    text = "  Generate a 30-second cinematic video, slow camera movement!  "
    assert route(text).steps == (Step.of(Action.SSE, text=text.strip()),)


def test_the_chat_message_leaves_out_the_requests_answered_directly() -> None:
    assert route("Check my credits and generate a 5 s preview").steps[1].text == "generate a 5 s preview"
    assert route("add music and then export").steps[0].text == "add music"
    assert route("export the video after adding music").steps[0].text == "adding music"
    assert route("上传后做成一个30秒的视频", ["/x/a.jpg"]).steps[1].text == "做成一个30秒的视频"
    assert route("先别导出，再加点音乐").steps[0].text == "加点音乐"


def test_the_chat_message_keeps_quotes_and_full_width_punctuation_as_typed() -> None:
    assert route("添加标题“夏日海滩”，然后导出").steps[0].text == "添加标题“夏日海滩”"
    assert route("add a caption ‘Download now’ and export").steps[0].text == "add a caption ‘Download now’"


def test_an_instruction_about_the_upload_is_sent_whole() -> None:
    plan = route("use this picture as the background", ["/x/a.jpg"])
    assert plan.steps[1].text == "use this picture as the background"


def test_a_message_with_nothing_to_act_on_still_goes_to_the_chat() -> None:
    assert route("don't export yet").steps == (Step.of(Action.SSE, text="don't export yet"),)
    assert route("").steps == (Step.of(Action.SSE, text=""),)


# ------------------------------------------------------------------ the plan types


def test_to_json_gives_the_first_action_and_every_step() -> None:
    data = route("add music and then export", ["/x/a.jpg"]).to_json()
    assert data == {
        "action": "upload",
        "skip_sse": True,
        "steps": [
            {"action": "upload", "skip_sse": True, "source": "/x/a.jpg", "text": None},
            {"action": "sse", "skip_sse": False, "source": None, "text": "add music"},
            {"action": "export", "skip_sse": True, "source": None, "text": None},
        ],
    }
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize("action", list(Action))
def test_skip_sse_follows_the_skill_table(action: Action) -> None:
    assert Step.of(action).skip_sse is (action is not Action.SSE)
    with pytest.raises(ValueError, match="skip_sse"):
        Step(action, skip_sse=action is Action.SSE)


def test_a_plan_is_never_empty() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        RoutePlan(())
    assert route("export").first == Step.of(Action.EXPORT)


def test_the_package_exports_a_sorted_public_surface() -> None:
    assert router_package.__all__ == sorted(router_package.__all__)
    assert set(router_package.__all__) == {"Action", "RoutePlan", "Step", "route"}


def test_routing_is_deterministic() -> None:
    text = "check my credits, then add music and export"
    assert route(text) == route(text)


# ------------------------------------------------------------------ the tables


def test_the_tables_ship_inside_the_package_and_validate() -> None:
    assert importlib.resources.files("kling_ai_30.router").joinpath("intents.yaml").is_file()
    tables = load_tables()
    assert set(tables.actions) == {"export", "credits", "state", "upload"}


def test_a_malformed_table_is_refused_with_the_reason() -> None:
    data = yaml.safe_load(importlib.resources.files("kling_ai_30.router").joinpath("intents.yaml").read_text("utf-8"))
    with pytest.raises(pydantic.ValidationError, match="not a valid regular expression"):
        IntentTables.model_validate({**data, "topic": {"en": ["about(unclosed"]}})
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        IntentTables.model_validate({**data, "synonyms": {}})
    with pytest.raises(pydantic.ValidationError, match="single lower-case words"):
        IntentTables.model_validate({**data, "fillers": {"en": ["looks good"]}})


# ------------------------------------------------------------------ any input at all

_attachments_strategy = st.lists(st.text(max_size=30), max_size=4)
_words = st.sampled_from(
    [
        *("export", "导出", "don't", "不要", "credits", "积分", "status", "upload", "上传", "and then", "然后"),
        *("after", "前", "first", "先", '"', "“", "'", "「", "https://a.com/x.mp4", "~/a.png", ",", "，"),
        *("make", "做", "about"),
    ]
)
_texts = st.one_of(st.text(max_size=120), st.lists(st.one_of(_words, st.text(max_size=6)), max_size=25).map(" ".join))


@settings(max_examples=200, deadline=None)
@given(text=_texts, attachments=_attachments_strategy)
def test_any_text_and_attachments_give_a_plan_with_the_attachments_first(text: str, attachments: list[str]) -> None:
    plan = route(text, attachments)
    assert plan.steps
    expected = list(dict.fromkeys(a for a in attachments if a.strip()))
    if expected and not any(step.action is Action.UPLOAD for step in plan.steps):
        # Issue 14: "don't upload this" keeps every file on the machine; nothing else changes.
        assert any("nothing is uploaded" in reason for step in plan.steps for reason in step.reasons)
        expected = []
    assert [step.source for step in plan.steps[: len(expected)]] == expected
    assert all(step.action is Action.UPLOAD for step in plan.steps[: len(expected)])
    uploads = [i for i, step in enumerate(plan.steps) if step.action is Action.UPLOAD]
    assert uploads == list(range(len(uploads)))  # every upload before anything else
    assert len({step.action for step in plan.steps if step.action is not Action.UPLOAD}) == len(
        [step for step in plan.steps if step.action is not Action.UPLOAD]
    )  # no action twice
    for step in plan.steps:
        # A step that only answers or asks sends nothing, whatever its action.
        assert step.skip_sse is (step.action is not Action.SSE or not step.runs)


# ------------------------------------------------------------------ issue 14: steps that only answer or ask


def test_a_step_that_answers_or_asks_sends_nothing_and_never_does_both() -> None:
    answered = Step.answered("Exporting is free.")
    assert (answered.action, answered.skip_sse, answered.runs) == (Action.SSE, True, False)
    asked = Step.asked(Action.EXPORT, "Export now?", confidence=0.7)
    assert (asked.skip_sse, asked.runs) == (True, False)
    with pytest.raises(ValueError, match="answers or asks"):
        Step(Action.SSE, True, answer="a", question="b")
    with pytest.raises(ValueError, match="sends nothing"):
        Step(Action.SSE, False, answer="a")


def test_confidence_and_reasons_explain_a_step_but_are_not_part_of_what_it_is() -> None:
    assert Step.of(Action.EXPORT, confidence=0.5, reasons=("x",)) == Step.of(Action.EXPORT)
    plan = route("what does export cost?")
    data = plan.to_json()
    assert data["answer"] == plan.first.answer and data["steps"][0]["answer"] == plan.first.answer
    assert "confidence" not in data and {"confidence", "reasons"} <= set(plan.explain())


@pytest.mark.parametrize(
    ("text", "attachments"),
    [
        pytest.param("don't upload this photo", ("/x/a.jpg",), id="negated"),
        pytest.param("upload this? no, wait", ("/x/a.jpg",), id="retracted"),
        pytest.param("不要上传这个", ("/x/a.jpg",), id="zh-negated"),
        pytest.param("is it safe to upload this?", ("/x/a.jpg",), id="a-question-about-uploading"),
    ],
)
def test_a_file_the_user_keeps_back_is_never_uploaded(text: str, attachments: tuple[str, ...]) -> None:
    plan = route(text, attachments)
    assert not any(step.action is Action.UPLOAD for step in plan.steps)
    assert not plan.first.runs and plan.first.answer
