"""The command line through ``main([...])`` (and a subprocess where a signal is the point)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from kling_ai_30.cli import main
from kling_ai_30.cli.demo import bundled_image
from kling_ai_30.cli.local_run import command_backend, scratch_root
from kling_ai_30.cli.offline_home import OfflineHome
from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.backend_state import backend_slug, backend_state_dir

from ..media import make_image, probe

GENERATE = "generate a 5-second cinematic video from this image with slow camera movement"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def run_sse_calls(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/run_sse")


# ------------------------------------------------------------------ route


@pytest.mark.parametrize(
    ("argv", "action", "skip_sse"),
    [
        pytest.param(["export the video"], "export", True, id="export"),
        pytest.param(["积分还有多少"], "credits", True, id="zh-credits"),
        pytest.param(["show", "tracks"], "state", True, id="state-words"),
        pytest.param(["--attach", "/tmp/x.png", "use this picture"], "upload", True, id="attachment"),
        pytest.param(['add a caption that says "export ready"'], "sse", False, id="quoted-content"),
    ],
)
def test_route_prints_the_contract_json(
    capsys: pytest.CaptureFixture[str], argv: list[str], action: str, skip_sse: bool
) -> None:
    code, data = run_json(capsys, "route", *argv)
    assert code == 0
    assert data["action"] == action and data["skip_sse"] is skip_sse
    assert isinstance(data["steps"], list) and data["steps"]


def test_route_explains_the_plan_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route", "check my credits and then generate a 5 second preview")
    assert code == 0
    assert out.splitlines()[0].startswith("1. credits (answered directly)")
    assert "2. sse (sent to the video assistant)" in out


# -------------------------------------------------------------- the actions


def test_credits_in_words_and_as_json(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "credits")
    assert code == 0 and out.startswith("Credits: 100 available")
    code, data = run_json(capsys, "credits")
    assert (data["available"], data["frozen"], data["total"]) == (100, 0, 100)


def test_the_quick_edit_workflow_ends_with_an_mp4(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    photo = make_image(tmp_path / "mountain.jpg")
    code, data = run_json(capsys, "generate", "--attach", str(photo), GENERATE, "--output-dir", str(tmp_path / "out"))
    assert code == 0, data
    assert data["status"] == "done" and data["job_id"]
    export = data["export"]
    assert isinstance(export, dict)
    path = Path(str(export["path"]))
    assert path.parent == tmp_path / "out" and probe(path).video_codec == "h264"
    code, data = run_json(capsys, "state")
    assert code == 0 and str(data["summary"]).startswith("Timeline (3 tracks): 1. Video: mountain")


def test_no_export_leaves_the_render_to_the_user(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "generate", "--no-export", "generate a 5-second video of a calm lake")
    assert code == 0
    assert "Video ready" not in out and "export" in out.lower()
    code, out, _ = run(capsys, "export", "--output-dir", str(tmp_path))
    assert code == 0 and "✅ Video ready" in out
    assert "Open the project:" in out and "/workspace/claim?ct=clm_" in out
    assert list(tmp_path.glob("*.mp4"))


def test_upload_takes_paths_and_urls(cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    photo = make_image(tmp_path / "beach.jpg")
    code, data = run_json(capsys, "upload", str(photo), "https://example.com/clips/waves.mp4")
    assert code == 0
    files = data["files"]
    assert isinstance(files, list) and [f["file_type"] for f in files] == ["image", "video"]


def test_a_media_request_and_a_status_question_are_routed_before_the_chat(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "generate", "what's", "the", "current", "status?")
    assert code == 0 and "Timeline is empty" in out
    assert run_sse_calls(backend) == 0


# ------------------------------------------------------------- exit codes


def test_bad_input_exits_2_with_the_fix_and_sends_nothing(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "upload", str(tmp_path / "missing.png"))
    assert code == 2 and "does not exist" in err and out == ""
    assert not [r for r in backend.store.requests() if "upload-video" in r.path]
    code, data = run_json(capsys, "upload", str(tmp_path / "missing.png"))
    assert code == 2 and data["error"]["type"] == "InputError"  # type: ignore[index]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate"])
    assert exited.value.code == 2


def test_a_backend_refusal_exits_1_with_the_reason(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "generate", "--no-export", "generate a 5-second video of rain")[0] == 0
    backend.faults.block_export(times=None)
    code, out, err = run(capsys, "export")
    assert code == 1
    assert "not credits" in out + err and "upgrade your plan" in out + err


def test_a_job_still_running_exits_3_and_job_picks_it_up(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    backend.configure(generation_seconds=0.5)
    code, data = run_json(capsys, "generate", "--no-export", "--wait", "0", "generate a 5-second video of fog")
    assert code == 3 and data["status"] == "running"
    job_id = str(data["job_id"])
    assert f"kling-ai-30 job {job_id}" in str(data["message"])
    saved = json.loads(job_file(private_home, cli_env, job_id).read_text(encoding="utf-8"))
    assert saved["accepted"] is True  # `--wait 0` still waited until the backend had the message
    # The user comes back a minute later; the first process (and its stream) is gone.
    saved["updated_at"] -= 60
    job_file(private_home, cli_env, job_id).write_text(json.dumps(saved), encoding="utf-8")
    assert backend.wait_idle()
    code, data = run_json(capsys, "job", job_id)
    assert code == 0 and data["status"] == "done", data
    assert any("Video" in line for line in data["changes"])  # type: ignore[union-attr]
    assert run_sse_calls(backend) == 1


def job_file(home: Path, api_url: str, job_id: str) -> Path:
    return backend_state_dir(home / ".local/state/kling-ai-30", api_url) / "jobs" / f"{job_id}.json"


def test_a_job_cut_off_before_the_backend_had_it_is_reported_honestly(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    assert run(capsys, "credits")[0] == 0
    job_id = "gen_0123456789ab"
    job_file(private_home, cli_env, job_id).parent.mkdir(parents=True, exist_ok=True)
    record = {
        "id": job_id,
        "kind": "generate",
        "principal": "local",
        "project": "default",
        "status": "running",
        "phase": "sending",
        "request": {"message": "generate a 5-second video of fog"},
        "steps": [{"action": "sse", "text": "generate a 5-second video of fog"}],
        "before": {"draft": {}, "canvas": None},
        "accepted": False,
        "owner_pid": 1 << 30,
        "updated_at": 0,
    }
    job_file(private_home, cli_env, job_id).write_text(json.dumps(record), encoding="utf-8")
    code, out, err = run(capsys, "job", job_id)
    assert code == 1 and "most likely never sent" in out + err and "Send it again" in out + err
    assert run_sse_calls(backend) == 0


def test_an_unknown_job_is_a_clear_error(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "job", "gen_0123456789ab")
    assert code == 1 and "No job" in err


def test_ctrl_c_during_a_generation_exits_130_and_says_how_to_pick_it_up(
    cli_env: str, backend: LocalBackend, tmp_path: Path
) -> None:
    backend.configure(generation_seconds=2.0)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kling_ai_30", "generate", "--no-export", "generate a 5-second video of dunes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Generating the video" in line:
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "Interrupted." in err and "kling-ai-30 job gen_" in err
    assert run_sse_calls(backend) == 1


# --------------------------------------------------------- local and demo


def test_local_runs_an_in_process_backend(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "credits", "--local")
    assert code == 0 and data["available"] == 100


def test_sim_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kling_ai_30", "sim", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["url"]
        assert httpx.get(f"{url}/_sim/health", timeout=10).status_code == 200
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0


def test_the_bundled_demo_image_ships_with_the_package() -> None:
    image = bundled_image()
    assert image.is_file() and image.read_bytes()[:3] == b"\xff\xd8\xff"


@pytest.mark.slow
def test_the_demo_makes_a_1080p_mp4_with_the_title_in_the_first_seconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, data = run_json(capsys, "demo", "--seconds", "4", "--output-dir", str(tmp_path))
    assert code == 0, data
    path = Path(str(data["path"]))
    assert path.parent == tmp_path
    media = probe(path)
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    assert (media.width, media.height) == (1920, 1080)
    assert 3.8 <= media.duration_s <= 4.3
    assert 'Title: "Mountain Dreams" (0-3s)' in str(data["timeline"])
    assert title_visible_early(path)


def title_visible_early(path: Path) -> bool:
    """The title region differs between t=1 s (title on) and t=3.6 s (title gone)."""
    import av

    frames: dict[float, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            t = float(frame.time or 0)
            for want in (1.0, 3.6):
                if want not in frames and t >= want:
                    frames[want] = frame.to_ndarray(format="gray")
    early, late = frames[1.0], frames[3.6]
    h, w = early.shape
    region = (slice(int(h * 0.35), int(h * 0.65)), slice(int(w * 0.2), int(w * 0.8)))
    return bool(np.abs(early[region].astype(int) - late[region].astype(int)).mean() > 8)


def test_exporting_an_empty_project_is_bad_input_and_exits_2(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "export")
    assert code == 2, out + err
    assert "nothing to export yet" in (out + err).lower()


def test_a_new_request_while_an_interrupted_one_may_still_run_is_not_sent(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    assert run(capsys, "state")[0] == 0  # the project exists
    job_id = "gen_0123456789ab"
    record = {
        "id": job_id,
        "kind": "generate",
        "principal": "local",
        "project": "default",
        "status": "running",
        "phase": "thinking",
        "request": {"message": "generate a 5-second video of fog"},
        "steps": [{"action": "sse", "text": "generate a 5-second video of fog"}],
        "before": {"draft": {}, "canvas": None},
        "accepted": True,
        "owner_pid": dead_pid(),  # the process that sent it was killed
        "updated_at": time.time(),
    }
    job_file(private_home, cli_env, job_id).parent.mkdir(parents=True, exist_ok=True)
    job_file(private_home, cli_env, job_id).write_text(json.dumps(record), encoding="utf-8")
    code, out, err = run(capsys, "generate", "add a title that says hello")
    assert code == 1, out + err
    assert "Your new request was not sent" in err and f"kling-ai-30 job {job_id}" in err
    assert run_sse_calls(backend) == 0


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_sim_on_a_port_in_use_says_so_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "sim", "--port", str(port))
    assert code == 2
    assert f"Port {port} is in use: pass --port" in err and "Traceback" not in out + err


# ------------------------------------------------------------ local runs leave nothing


def test_a_local_run_leaves_the_real_backends_project_and_tokens_alone(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    assert run(capsys, "state")[0] == 0
    tokens = private_home / ".config/kling-ai-30/tokens.json"
    cached = tokens.read_text(encoding="utf-8")
    assert run(capsys, "state", "--local")[0] == 0
    assert run(capsys, "state")[0] == 0
    sessions = [r for r in backend.store.requests() if "with-session" in r.path]
    assert len(sessions) == 1  # the real backend's project kept its session through the local run
    assert tokens.read_text(encoding="utf-8") == cached  # no token of the local backend cached
    assert [p.name for p in (private_home / ".local/state/kling-ai-30/backends").iterdir()] == [backend_slug(cli_env)]
    assert not scratch_root().exists() or list(scratch_root().iterdir()) == []


def test_a_local_run_keeps_its_state_in_the_offline_folder_and_writes_videos_to_the_usual_one(
    private_home: Path,
) -> None:
    offline = OfflineHome.default().root
    with command_backend(argparse.Namespace(local=True, command="credits")) as backend:
        settings = backend.settings
        assert settings.videos_dir == private_home / ".local/share/kling-ai-30/videos"
        assert offline in settings.config_dir.parents and offline in settings.state_dir.parents
        assert offline in settings.nemo_config_dir.parents
    chosen = private_home / "elsewhere"
    with command_backend(argparse.Namespace(local=True, command="credits"), output_dir=chosen) as backend:
        assert backend.settings.videos_dir == chosen


def test_the_demo_runs_in_a_scratch_folder_and_sweeps_killed_runs(private_home: Path) -> None:
    left_by_a_killed_run = scratch_root() / f"{dead_pid()}-0a0b0c0d"
    (left_by_a_killed_run / "config").mkdir(parents=True)
    with command_backend(argparse.Namespace(local=True, command="demo")) as backend:
        settings = backend.settings
        assert settings.videos_dir == private_home / ".local/share/kling-ai-30/videos"
        assert scratch_root() in settings.config_dir.parents and scratch_root() in settings.state_dir.parents
        scratch = settings.state_dir.parent
        assert not left_by_a_killed_run.exists()
    assert not scratch.exists()
    assert not OfflineHome.default().root.exists()  # the offline project is left alone


def test_history_and_projects_say_what_was_made_and_where(
    cli_env: str, backend: LocalBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, data = run_json(
        capsys, "generate", "--project", "trip", "--output-dir", str(tmp_path), "generate a 5-second video of a canyon"
    )
    assert code == 0 and data["status"] == "done"
    code, out, _ = run(capsys, "history")
    assert code == 0 and str(data["job_id"]) in out and "canyon" in out and str(tmp_path) in out
    code, listed = run_json(capsys, "projects")
    assert code == 0 and listed["current"] == "trip"
    code, out, _ = run(capsys, "state")  # no --project: the last one used
    assert code == 0 and "canyon" in out.lower()
