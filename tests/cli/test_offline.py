"""``--local`` commands share one offline project: one command finds what the one before made,
several may run at once, and ``kling-ai-30 local reset`` starts it afresh."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kling_ai_30.cli import main
from kling_ai_30.cli.local_run import command_backend
from kling_ai_30.cli.offline_home import OfflineHome
from kling_ai_30.local import LocalBackend, SimConfig

from ..media import probe


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, out + err
    return json.loads(out)  # type: ignore[no-any-return]


def test_one_command_finds_the_project_credits_and_video_the_one_before_made(
    capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    code, out, err = run(capsys, "generate", "--local", "--no-export", "generate a 4-second video of a harbour at dusk")
    assert code == 0, out + err

    assert "Video: harbour at dusk (0-4s)" in run(capsys, "state", "--local")[1]
    assert run_json(capsys, "credits", "--local")["available"] == 92  # 4 s at 2 credits a second
    exported = run_json(capsys, "export", "--local")["export"]
    assert isinstance(exported, dict)
    video = Path(str(exported["path"]))
    assert video.parent == private_home / ".local/share/kling-ai-30/videos" and probe(video).duration_s >= 3.9
    history = run(capsys, "history", "--local")[1]
    assert "harbour at dusk" in history and str(video) in history


def test_a_local_command_never_sends_the_real_backends_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_the_real_one")

    assert run_json(capsys, "credits", "--local")["available"] == 100


def test_a_command_started_while_another_answers_on_the_home_address_shares_its_project(
    capsys: pytest.CaptureFixture[str],
) -> None:
    home_url = OfflineHome.default().home_url()
    with command_backend(argparse.Namespace(local=True, command="serve")) as first:
        assert first.transport is None and first.settings.api_url == home_url
        with command_backend(argparse.Namespace(local=True, command="credits")) as second:
            # The second command answers on a port of its own; its links still point home.
            assert second.transport is not None and second.settings.web_url == home_url
        code, out, err = run(capsys, "generate", "--local", "--no-export", "generate a 3-second video of snow")
        assert code == 0, out + err
        assert httpx.get(f"{home_url}/_sim/health", timeout=10).json()["sessions"] == 1
    assert "Video: snow (0-3s)" in run(capsys, "state", "--local")[1]


def test_commands_running_at_once_keep_one_consistent_project(private_home: Path) -> None:
    def start(*argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "kling_ai_30", *argv, "--local", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    assert start("credits").communicate(timeout=120)[0]  # the project exists
    generating = start("generate", "--no-export", "generate a 3-second video of a forest in fog")
    readers = [start("credits") for _ in range(3)] + [start("state") for _ in range(2)]
    for process in [generating, *readers]:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, out + err
    final = start("credits").communicate(timeout=120)[0]
    assert json.loads(final)["available"] == 94
    assert json.loads(start("state").communicate(timeout=120)[0])["summary"].startswith("Timeline (3 tracks)")


def test_local_reset_says_what_it_removed_and_keeps_the_exported_videos(
    capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    code, out, err = run(capsys, "generate", "--local", "generate a 2-second video of a lighthouse")
    assert code == 0, out + err
    videos = list((private_home / ".local/share/kling-ai-30/videos").glob("*.mp4"))
    assert len(videos) == 1

    code, out, _ = run(capsys, "local", "reset")

    assert code == 0
    assert out.startswith("Removed the offline project (1 project, 1 rendered video, 0 uploaded files;")
    assert str(videos[0].parent) in out
    assert not OfflineHome.default().root.exists() and videos[0].is_file()
    assert run_json(capsys, "credits", "--local")["available"] == 100
    assert "Timeline is empty" in run(capsys, "state", "--local")[1]


def test_local_reset_refuses_while_an_offline_command_runs(capsys: pytest.CaptureFixture[str]) -> None:
    folder = OfflineHome.default().backend_dir
    with LocalBackend(SimConfig(data_dir=folder, persistent=True)):
        code, _, err = run(capsys, "local", "reset")
    assert code == 1
    assert "An offline command (--local) is running" in err and "Nothing was removed" in err
    assert folder.is_dir()
    assert run(capsys, "local", "reset")[0] == 0


def test_local_reset_with_nothing_to_remove_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "local", "reset")
    assert result["removed"] is False and "no offline project" in str(result["message"])


def test_every_hint_an_offline_command_prints_works_when_pasted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--local", "--wait", "0", "generate a 5-second video of dunes")
    assert code == 3, out + err  # still running when the wait ran out
    pasted = re.search(r"kling-ai-30 (job \S+ --local)\.?$", out + err, re.M)
    assert pasted is not None, out + err
    job_id = pasted.group(1).split()[1]
    # Without --local the job is looked for in the real backend's state: the error says what to add.
    code, out, err = run(capsys, "job", job_id)
    assert code != 0 and "It is a job of the offline project: add --local." in out + err
    code, out, err = run(capsys, *pasted.group(1).rstrip(".").split())
    assert code == 0, out + err
    # The project link opens only while an offline command serves it: the line says which.
    code, out, err = run(capsys, "export", "--local")
    assert code == 0, out + err
    assert "(it opens while an offline command runs: kling-ai-30 serve --http --local)" in out
