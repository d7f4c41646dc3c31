"""The command line's shape: ``--version``, global options on either side of the command, and each
command's ``--help`` listing only what it uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kling_ai_30.cli import main

ROOT = Path(__file__).resolve().parents[2]
GLOBAL_FLAGS = ("--json", "--local", "--project", "--quiet", "--verbose")


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_version_prints_the_frontmatter_version() -> None:
    version = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))["version"]
    result = subprocess.run(
        [sys.executable, "-m", "kling_ai_30", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"kling-ai-30 {version}\n", "")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--json", "credits"], id="before"),
        pytest.param(["credits", "--json"], id="after"),
        pytest.param(["--json", "credits", "--local"], id="both-sides"),
    ],
)
def test_global_options_go_before_or_after_the_command(
    cli_env: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out)["available"] == 100


def test_an_option_given_before_the_command_is_not_reset_by_the_command(
    cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--project", "trip", "--json", "generate", "--no-export", "generate a 5-second video of a canyon"])
    assert code == 0 and json.loads(capsys.readouterr().out)["status"] == "done"
    code = main(["projects", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["current"] == "trip"


@pytest.mark.parametrize(
    ("command", "takes"),
    [
        pytest.param("sim", {"--json", "--verbose"}, id="sim"),
        pytest.param("route", {"--json"}, id="route"),
        pytest.param("demo", {"--json", "--quiet", "--verbose"}, id="demo"),
        pytest.param("credits", {"--json", "--local", "--quiet", "--verbose"}, id="credits"),
        pytest.param("chat", {"--local", "--verbose"}, id="chat"),
        pytest.param("generate", set(GLOBAL_FLAGS), id="generate"),
    ],
)
def test_each_command_help_lists_only_the_options_it_uses(
    capsys: pytest.CaptureFixture[str], command: str, takes: set[str]
) -> None:
    text = help_of(capsys, command)
    listed = {flag for flag in GLOBAL_FLAGS if flag in text}
    assert listed == takes


def test_the_top_level_help_names_the_global_options_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys)
    assert all(flag in text for flag in (*GLOBAL_FLAGS, "--version"))


def test_an_option_before_a_command_that_has_no_use_for_it_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--project", "trip", "sim"])
    assert exited.value.code == 2
    assert "--project means nothing for `sim`" in capsys.readouterr().err


def test_route_takes_its_options_before_the_command_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "route", "export the video"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "export"
