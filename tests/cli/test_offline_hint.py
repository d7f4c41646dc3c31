"""When the backend cannot be reached, the command line names the offline way to go on."""

from __future__ import annotations

import json
import socket

import pytest

from kling_ai_30.cli import main


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> str:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("NEMO_API_URL", url)  # nothing listens there any more: connection refused
    return url


def test_an_unreachable_backend_names_local_and_demo(unreachable: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["credits"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"Cannot reach the NemoVideo backend at {unreachable}" in err
    assert "hint: Offline? Add --local" in err and "kling-ai-30 demo" in err


def test_the_hint_is_part_of_the_json_error(unreachable: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--json", "credits"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 1 and error["type"] == "BackendUnavailableError"
    assert "--local" in error["hint"]
