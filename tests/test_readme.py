"""The README's commands are the ones that work: CI's, the CLI's and the files they name."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kling_ai_30.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_block() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_the_readme_opens_with_the_two_commands() -> None:
    demo, tests = first_block()
    assert demo.endswith(".venv/bin/kling-ai-30 demo") and "pip install '.[local]'" in demo
    assert tests.endswith(".venv/bin/python -m pytest") and "pip install -e '.[test]'" in tests
    assert README.index(demo) < README.index("**kling-ai-30**")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, tests = first_block()
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def cli_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command.startswith("kling-ai-30 "):
                lines.append(command)
    return lines


@pytest.mark.parametrize("line", cli_lines())
def test_every_cli_example_in_the_readme_parses(line: str) -> None:
    argv = shlex.split(line.replace("[--http --port 8765]", "--http --port 8765"))[1:]
    args = build_parser().parse_args(argv)
    assert args.command == argv[0]


def test_the_files_the_readme_links_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target
