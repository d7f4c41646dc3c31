"""``kling-ai-30 route`` through ``main([...])``: the plan, why, and the usage errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import platformdirs
import pytest

from kling_ai_30.cli import main
from kling_ai_30.cli.route_command import user_cache_dir
from kling_ai_30.router import compiled


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["route", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_no_text_is_a_usage_error_that_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["   "], ["--json"]):
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert out == ""
        assert 'kling-ai-30 route "export the video"' in err


def test_an_attachment_alone_is_routed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "--attach", "/tmp/x.png")
    assert code == 0
    assert json.loads(out)["action"] == "upload"


def test_json_says_how_sure_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "check my credits and then add music")
    assert code == 0
    data = json.loads(out)
    assert (data["action"], data["skip_sse"]) == ("credits", True)
    assert 0 < data["confidence"] <= 1
    assert any("credits" in reason for reason in data["reasons"])
    assert [step["action"] for step in data["steps"]] == ["credits", "sse"]
    assert all("confidence" in step and "reasons" in step for step in data["steps"])


def test_a_question_about_an_action_prints_its_answer_and_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "what does export cost?")
    assert code == 0
    data = json.loads(out)
    assert (data["action"], data["skip_sse"]) == ("sse", True)
    assert "free" in data["answer"]
    _, out, _ = run(capsys, "what does export cost?")
    assert out.startswith("1. sse (answered directly, nothing sent): Exporting is free")


def test_the_command_keeps_its_compiled_tables_in_the_user_cache_dir(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "_grammar", None)  # as in a new process
    code, _, _ = run(capsys, "export it")
    assert code == 0
    cache = Path(user_cache_dir())
    assert cache.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]) if "XDG_CACHE_HOME" in os.environ else Path.home())
    assert list(cache.glob("router-grammar-*.marshal"))


@pytest.mark.skipif(sys.platform == "win32", reason="the environment variables below are the Unix ones")
def test_the_cache_dir_is_the_one_platformdirs_gives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for xdg in (str(tmp_path / "xdg-cache"), "", "  "):
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert user_cache_dir() == platformdirs.user_cache_dir("kling-ai-30")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_cache_dir() == platformdirs.user_cache_dir("kling-ai-30")
