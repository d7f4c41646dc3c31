"""The demo's video is titled the way the agent titles any: from the request, else from the picture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from kling_ai_30.cli import main


def demo(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main(["demo", "--seconds", "2", "--json", *argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_a_photo_of_yours_gets_a_neutral_title_never_its_file_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    photo = tmp_path / "IMG_2041.jpg"
    Image.new("RGB", (640, 480), (90, 140, 200)).save(photo)

    timeline = str(demo(capsys, "--image", str(photo), "--output-dir", str(tmp_path))["timeline"])

    assert timeline.startswith("Timeline (3 tracks): 1. Video: your photo (0-2s)")
    assert 'Title: "Moments in Motion"' in timeline and "IMG" not in timeline and "Mountain" not in timeline


@pytest.mark.slow
def test_a_prompt_names_the_video_and_its_title(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = demo(capsys, "--prompt", "waves at sunset", "--output-dir", str(tmp_path))

    assert "Video: waves at sunset (0-2s)" in str(result["timeline"])
    assert 'Title: "Waves at Sunset"' in str(result["timeline"])
    assert Path(str(result["path"])).is_file()
