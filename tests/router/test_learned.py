"""The learned layer beside the tables: trained from the case tables, heard only when they are silent,
and then it asks rather than acts."""

from __future__ import annotations

from pathlib import Path

from kling_ai_30.router import Action, route
from kling_ai_30.router.learned import MODEL_FILE, features
from kling_ai_30.router.training import train, training_examples

from .dev_set import HELD_BACK

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parents[2] / "server" / "kling_ai_30" / "router" / MODEL_FILE


def test_the_shipped_weights_are_a_fresh_training_on_the_case_tables() -> None:
    fresh = train(training_examples(DATA)).to_json()
    assert SHIPPED.read_text(encoding="utf-8") == fresh, (
        "learned.json is stale: run `python -m kling_ai_30.router.training tests/router/data`"
    )


def test_the_held_back_set_is_never_trained_on(tmp_path: Path) -> None:
    (tmp_path / HELD_BACK.name).write_bytes(HELD_BACK.read_bytes())
    assert training_examples(tmp_path) == []
    assert len(training_examples(DATA)) > 600


def test_features_are_words_word_pairs_and_chinese_character_pairs() -> None:
    assert features("send the file 导出视频") == ["send", "the", "file", "send the", "the file", "导出", "出视", "视频"]


def test_when_only_the_learned_layer_reads_a_free_action_the_router_asks_and_runs_nothing() -> None:
    step = route("video file for me").first
    assert step.action is Action.EXPORT
    assert step.question is not None and step.answer is None
    assert step.skip_sse and not step.runs
    assert 0 < step.confidence <= 1
    assert any("learned layer" in reason for reason in step.reasons)


def test_a_message_the_tables_read_as_a_chat_message_stays_one_with_its_confidence() -> None:
    step = route("a cat").first
    assert (step.action, step.runs, step.text) == (Action.SSE, True, "a cat")
    assert any("learned layer" in reason for reason in step.reasons)


def test_an_instruction_or_a_table_phrase_never_consults_the_learned_layer() -> None:
    for text in ("make the intro slower", "export it", "final cut for me pls"):
        assert not any("learned layer" in reason for step in route(text).steps for reason in step.reasons)
