"""Closing the terminal (SIGHUP) stops a command the way Ctrl-C does, and leaves no folder behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import platformdirs

from kling_ai_30.config import APP_DIR_NAME


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME))


def leftovers() -> list[Path]:
    """Folders local runs and local backends keep while they run, under the user cache dir."""
    return [path for path in cache_dir().glob("*/*") if path.is_dir()]


def test_hanging_up_on_sim_stops_it_and_removes_its_folder() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kling_ai_30", "sim", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        json.loads(process.stdout.readline())  # serving
        assert leftovers(), "the running backend keeps its files in a folder"
        process.send_signal(signal.SIGHUP)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert leftovers() == []


def test_hanging_up_on_a_local_run_stops_it_like_ctrl_c_and_removes_its_folders() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kling_ai_30",
            "generate",
            "--local",
            "--no-export",
            "generate a 5-second video of dunes",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Generating the video" in line:
                break
        assert leftovers()
        process.send_signal(signal.SIGHUP)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert "Interrupted." in err
    assert leftovers() == []
