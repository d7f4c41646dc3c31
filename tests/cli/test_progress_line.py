"""The status line on a real (pseudo-)terminal, read back as a terminal emulator shows it."""

from __future__ import annotations

import io
import json
import os
import re
import sys

import pytest
import wcwidth

from kling_ai_30.cli.progress import ProgressLine
from kling_ai_30.cli.terminal import display_width, fit

from .terminal import TerminalRun, run_in_terminal

SGR = re.compile(rb"\x1b\[[0-9;]*m")
# Draws each (message, fraction) in turn, then finishes the line when told to.
DRAW = """
import json, sys
from kling_ai_30.cli.progress import ProgressLine
steps, finish = json.loads(sys.argv[1]), sys.argv[2] == "done"
line = ProgressLine()
for message, fraction in steps:
    line.update(message, fraction)
if finish:
    line.done("finished")
"""


def draw(steps: list[tuple[str, float | None]], *, columns: int = 80, finish: bool = False, **env: str) -> TerminalRun:
    environ = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update({"TERM": "xterm-256color", **env})
    argv = [sys.executable, "-c", DRAW, json.dumps(steps), "done" if finish else "open"]
    return run_in_terminal(argv, env=environ, columns=columns, rows=6)


@pytest.mark.parametrize(
    "text",
    [
        *("abc", "⏳ Rendering… 40%", "正在生成视频，请稍候", "⚠️ careful"),
        *("👨‍👩‍👧 family", "👍🏽 ok", "é", "✅ 标题: “山间梦境”"),
    ],
)
def test_display_width_counts_cells_as_wcwidth_does(text: str) -> None:
    assert display_width(text) == wcwidth.wcswidth(text)


def test_fit_cuts_by_cells_and_marks_the_cut() -> None:
    assert fit("正在生成视频", 7) == "正在生…"
    assert fit("short", 7) == "short"


def test_a_shorter_line_after_wide_characters_leaves_nothing_behind() -> None:
    run = draw([("⏳ 正在生成视频，请稍候", 1.0), ("⏳ Rendering… 40%", 0.4), ("ok", None)])
    first = run.screen()[0]
    assert re.fullmatch(r"\S ok  0:0\d", first), first


def test_a_fraction_shows_one_percentage_with_the_bar() -> None:
    first = draw([("⏳ Rendering… 40%", 0.4)]).screen()[0]
    assert first.count("%") == 1 and " 40%" in first
    assert "⏳ Rendering…" in first and "█" in first and "░" in first


def test_a_message_wider_than_the_terminal_is_cut_and_never_wraps() -> None:
    run = draw([("⏳ " + "正在渲染你的视频" * 6, 0.5), ("⏳ " + "正在渲染你的视频" * 6, 0.6)], columns=40)
    first, second = run.screen()[:2]
    assert second == ""
    assert wcwidth.wcswidth(first) <= 39 and "…" in first and first.endswith("0:00")


def test_a_narrow_terminal_keeps_the_percentage_and_drops_the_bar() -> None:
    first = draw([("Downloading… 25%", 0.25)], columns=30).screen()[0]
    assert " 25%" in first and "█" not in first and "░" not in first


def test_colour_on_a_terminal_none_with_no_color() -> None:
    assert SGR.search(draw([("Rendering", 0.5)]).output)
    plain = draw([("Rendering", 0.5)], NO_COLOR="1").output
    assert not SGR.search(plain) and b"\x1b[K" in plain  # still redrawn in place, just without colour


def test_done_clears_the_line_before_the_closing_message() -> None:
    screen = draw([("⏳ 正在生成视频", 0.3)], finish=True).screen()
    assert screen[0] == "finished" and screen[1] == ""


def test_a_pipe_gets_plain_lines_when_the_phase_changes() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream, environ={})
    for step in ("Rendering… 10%", "Rendering… 11%", "Downloading… 0%"):
        line.update(step, 0.1)
    line.done()
    lines = stream.getvalue().splitlines()
    assert [text.split("] ", 1)[1] for text in lines] == ["Rendering… 10%", "Downloading… 0%"]
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()
