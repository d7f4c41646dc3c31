"""Closing the terminal (SIGHUP) stops a command the way Ctrl-C does: scratch folders are removed,
and the offline project keeps the work so it can be picked up."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from kling_ai_30.cli.offline_home import OfflineHome
from kling_ai_30.config import APP_DIR_NAME


def leftovers() -> list[Path]:
    """Folders local runs and local backends keep while they run, under the user cache dir."""
    return [path for path in Path(platformdirs.user_cache_dir(APP_DIR_NAME)).glob("*/*") if path.is_dir()]


def hang_up(
    *argv: str, once: Callable[[subprocess.Popen[str]], object], keeps: Callable[[], object] = leftovers
) -> tuple[int, str]:
    """Run ``kling-ai-30 argv``, wait for ``once`` (it reads the process's output), check that the run
    keeps its files (``keeps``), send SIGHUP; the exit code and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kling_ai_30", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        once(process)
        assert keeps(), "the running command keeps its files in a folder"
        process.send_signal(signal.SIGHUP)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    return process.returncode, err


def serving(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    json.loads(process.stdout.readline())


def generating(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    next(line for line in process.stderr if "Generating the video" in line)


def test_hanging_up_on_sim_stops_it_and_removes_its_folder() -> None:
    code, err = hang_up("sim", "--port", "0", "--json", once=serving)
    assert code == 0, err
    assert leftovers() == []


def offline_project() -> list[Path]:
    return list(OfflineHome.default().backend_dir.glob("*"))


def test_hanging_up_on_a_local_run_stops_it_like_ctrl_c_and_the_job_can_be_picked_up(private_home: Path) -> None:
    code, err = hang_up(
        "generate",
        "--local",
        "--no-export",
        "generate a 5-second video of dunes",
        once=generating,
        keeps=offline_project,
    )
    assert code == 130, err
    assert "Interrupted." in err
    assert leftovers() == []  # no scratch folder: the offline project is where the work stays
    pick_up = re.search(r"kling-ai-30 (job \S+ --local)", err)
    assert pick_up is not None, err
    finished = subprocess.run(
        [sys.executable, "-m", "kling_ai_30", *pick_up.group(1).split(), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["status"] == "done"
