"""``kling-ai-30 doctor`` through ``main([...])``: every check, the exit code, and no token shown."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from kling_ai_30.cli import main

CHECKS = [
    "Python",
    "uvx",
    "backend",
    "token",
    "config folder",
    "client id folder",
    "state folder",
    "data folder",
    "videos folder",
    "versions",
    "local extra",
]


def doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, dict[str, str]]]:
    code = main(["doctor", "--json", *argv])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (code == 0)
    return code, {check["name"]: check for check in report["checks"]}


def test_a_ready_machine_passes_every_check_and_exits_0(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = doctor(capsys)
    assert code == 0
    assert list(checks) == CHECKS
    assert checks["backend"]["status"] == "ok" and cli_env in checks["backend"]["detail"]
    assert "requested on first use" in checks["token"]["detail"]
    assert all(checks[name]["status"] == "ok" for name in CHECKS if name != "uvx")


def test_the_token_is_described_never_shown(
    cli_env: str, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    assert main(["credits"]) == 0  # caches an anonymous token
    capsys.readouterr()
    tokens = json.loads((private_home / ".config/kling-ai-30/tokens.json").read_text(encoding="utf-8"))
    (token,) = (entry["token"] for entry in tokens.values())
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 0
    assert "cached anonymous token (not shown), expires" in out and token not in out


def test_a_token_from_the_environment_is_named_not_shown(
    cli_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_doctor_secret_value")
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 0 and "from NEMO_TOKEN (not shown)" in out and "doctor_secret" not in out


def test_an_unreachable_backend_fails_and_names_the_offline_way(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("NEMO_API_URL", url)
    code, checks = doctor(capsys)
    assert code == 1
    backend = checks["backend"]
    assert backend["status"] == "fail" and url in backend["detail"]
    assert "--local" in backend["fix"] and "kling-ai-30 demo" in backend["fix"]


def test_local_checks_the_local_backend(capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = doctor(capsys, "--local")
    assert code == 0
    assert "local backend" in checks and checks["local backend"]["status"] == "ok"


def test_a_folder_that_cannot_be_made_fails_with_the_setting_that_moves_it(
    cli_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("KLING_OUTPUT_DIR", str(in_the_way / "videos"))
    code, checks = doctor(capsys)
    assert code == 1
    videos = checks["videos folder"]
    assert videos["status"] == "fail" and "KLING_OUTPUT_DIR" in videos["fix"]


def test_uvx_is_found_on_the_path_or_its_absence_explained(
    cli_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    _, checks = doctor(capsys)
    assert checks["uvx"]["status"] == "warn" and "install uv" in checks["uvx"]["fix"]
    uvx = tmp_path / "uvx"
    uvx.write_text("#!/bin/sh\n", encoding="utf-8")
    os.chmod(uvx, 0o755)
    _, checks = doctor(capsys)
    assert checks["uvx"] == {"name": "uvx", "status": "ok", "detail": str(uvx), "fix": ""}


def test_quiet_prints_only_what_needs_doing(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("✓") for line in lines)
    assert lines[-1].startswith("Ready")
