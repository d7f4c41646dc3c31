"""The README's command-line block works offline as written: each line through the real CLI, from a
fresh HOME holding only the two photos it names."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kling_ai_30.cli import main

from .media import probe

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def offline_block() -> list[str]:
    """The commands of the first ``sh`` block of "The command line", as a shell would split them."""
    section = README[README.index("## The command line") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def a_photo(path: Path, seed: int) -> Path:
    """A photo of the user's: no label saying what it shows, like any camera's."""
    rng = np.random.default_rng(seed)
    gradient = np.linspace(0, 255, 640, dtype=np.float32)[None, :, None] * rng.uniform(0.3, 1.0, (1, 1, 3))
    pixels = np.broadcast_to(gradient, (480, 640, 3)) + rng.normal(0, 6, (480, 640, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path


def test_every_line_of_the_block_uses_the_offline_project() -> None:
    for line in offline_block():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "kling-ai-30"
        assert "--local" in argv or argv[1:3] == ["local", "reset"], line


@pytest.mark.slow
def test_the_readme_cli_block_runs_offline_as_written(capsys: pytest.CaptureFixture[str], private_home: Path) -> None:
    a_photo(private_home / "Pictures/mountain.jpg", 1)
    a_photo(private_home / "Pictures/beach.png", 2)
    said: dict[str, str] = {}
    for line in offline_block():
        argv = [
            word.replace("~", str(private_home), 1) if word.startswith("~/") else word
            for word in shlex.split(line, comments=True)
        ]
        code = main(argv[1:])
        out = capsys.readouterr()
        assert code == 0, f"{line}\n{out.out}\n{out.err}"
        said[" ".join(argv[1:3])] = said.get(" ".join(argv[1:3]), "") + out.out

    state = said["state --local"]
    assert state.startswith("Timeline (3 tracks): 1. Video: your photo (0-5s)"), state
    assert 'Title: "Alpine Morning" (0-3s)' in state and "BGM: Piano (0-5s, 35%)" in state
    exported = Path(re.findall(r"(/\S+\.mp4)", said["export --local"])[0])
    assert (probe(exported).width, probe(exported).height, round(probe(exported).duration_s)) == (1920, 1080, 5)
    credits = json.loads(said["credits --local"])
    assert credits["available"] == 100 - 10 - 5 - 20 - 5  # two generations (5 s, 10 s) and two edits
    history = said["history --local"]
    assert "beach" in history and str(exported) in history
    vertical = [p for p in exported.parent.glob("*.mp4") if probe(p).height == 1920]
    assert vertical and round(probe(vertical[0]).duration_s) == 10  # the beach, in 9:16
    assert said["local reset"].startswith("Removed the offline project (1 project")
