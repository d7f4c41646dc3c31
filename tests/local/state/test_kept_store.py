"""A backend kept on disk: one run after another, several at once, and what a dead one leaves behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread

from ...conftest import FAST

ATTRIBUTION = {"X-Skill-Source": "kling-ai-30", "X-Skill-Version": "0.1.0", "X-Skill-Platform": "unknown"}


def kept(folder: Path, **changes: Any) -> LocalBackend:
    return LocalBackend(SimConfig.model_validate({**FAST, "data_dir": folder, "persistent": True, **changes}))


@contextmanager
def client_of(backend: LocalBackend) -> Iterator[httpx.Client]:
    with run_in_thread(backend) as url, httpx.Client(base_url=url, timeout=20) as client:
        yield client


def sign_up(client: httpx.Client, client_id: str = "kept-client") -> tuple[dict[str, str], str]:
    token = client.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id}).json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}", **ATTRIBUTION}
    created = client.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "project"}, headers=headers)
    return headers, created.json()["data"]["session_id"]


def say(client: httpx.Client, headers: dict[str, str], session_id: str, text: str) -> str:
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
    }
    with client.stream("POST", "/run_sse", json=body, headers=headers) as stream:
        return "".join(stream.iter_text())


def state_of(client: httpx.Client, headers: dict[str, str], session_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/state/nemo_agent/me/{session_id}/latest", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["state"]  # type: ignore[no-any-return]


def test_the_next_run_finds_the_same_user_token_project_and_credits(tmp_path: Path) -> None:
    with kept(tmp_path) as first, client_of(first) as client:
        headers, session_id = sign_up(client)
        say(client, headers, session_id, "generate a 5-second video of a mountain lake")
        first.wait_idle()

    with kept(tmp_path) as second, client_of(second) as client:
        balance = client.get("/api/credits/balance/simple", headers=headers).json()["data"]
        draft = state_of(client, headers, session_id)["draft"]

    assert balance == {"available": 90, "frozen": 0, "total": 90}  # 5 s at 2 credits a second
    assert draft["t"][0]["sg"][0]["m"]["name"] == "mountain lake"


def test_two_backends_over_one_folder_see_each_others_changes_at_once(tmp_path: Path) -> None:
    with kept(tmp_path) as one, kept(tmp_path) as other, client_of(one) as a, client_of(other) as b:
        headers, session_id = sign_up(a)
        say(b, headers, session_id, "generate a 5-second video of a desert")
        other.wait_idle()

        assert state_of(a, headers, session_id)["draft"]["d"] == 5000
        assert a.get("/api/credits/balance/simple", headers=headers).json()["data"]["available"] == 90


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kling_ai_30.local.state.clock import Clock
    from kling_ai_30.local.state.config import SimConfig
    from kling_ai_30.local.state.presence import Presence
    from kling_ai_30.local.state.shared_file import SharedFile
    from kling_ai_30.local.state.store import Store

    folder, user_id, times = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    config = SimConfig(data_dir=folder, persistent=True)
    store = Store(lambda: config, Clock(), shared=SharedFile(folder), presence=Presence(folder))
    for _ in range(times):
        store.freeze(user_id, 1)
        store.create_session(user_id, "project", None)
    """
)


def test_processes_changing_the_same_records_at_once_lose_nothing(tmp_path: Path) -> None:
    with kept(tmp_path) as backend:
        user_id = backend.add_user(credits=1000).user_id
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), user_id, "15"], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()

    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    user = next(u for u in saved["users"] if u["user_id"] == user_id)
    assert (user["available"], user["frozen"]) == (940, 60)
    assert saved["session_count"] == 60 and len(saved["sessions"]) == 60


KILLED = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from kling_ai_30.local.state.clock import Clock
    from kling_ai_30.local.state.config import SimConfig
    from kling_ai_30.local.state.presence import Presence
    from kling_ai_30.local.state.shared_file import SharedFile
    from kling_ai_30.local.state.store import Store

    folder, user_id = Path(sys.argv[1]), sys.argv[2]
    config = SimConfig(data_dir=folder, persistent=True)
    store = Store(lambda: config, Clock(), shared=SharedFile(folder), presence=Presence(folder))
    store.freeze(user_id, 30)
    os._exit(0)  # killed mid-run: no settling, no cleanup
    """
)


def test_credits_a_killed_process_left_frozen_are_given_back(tmp_path: Path) -> None:
    with kept(tmp_path) as backend:
        user_id = backend.add_user(credits=100).user_id
    subprocess.run([sys.executable, "-c", KILLED, str(tmp_path), user_id], check=True, timeout=60)

    with kept(tmp_path) as backend:
        assert backend.store.balance(user_id) == {"available": 100, "frozen": 0, "total": 100}


def test_a_render_a_closed_backend_left_unfinished_is_finished_by_the_next_one_asked(tmp_path: Path) -> None:
    with kept(tmp_path) as first, client_of(first) as client:
        headers, session_id = sign_up(client)
        say(client, headers, session_id, "generate a 2-second video of a city at night")
        first.wait_idle()
        draft = state_of(client, headers, session_id)["draft"]
        first.faults.stall_renders()
        submitted = client.post(
            "/api/render/proxy/lambda",
            json={"id": "render_kept_1", "sessionId": session_id, "draft": draft},
            headers=headers,
        )
        assert submitted.json()["success"] is True
    # The first backend closed with the render at 37 %.

    with kept(tmp_path) as second, client_of(second) as client:
        status = "processing"
        for _ in range(600):
            data = client.get("/api/render/proxy/lambda/render_kept_1", headers=headers).json()["data"]
            status = data["status"]
            if status in ("completed", "failed"):
                break
            second.wait_idle(0.05)
        assert status == "completed"
        assert client.get(data["outputUrl"]).content[4:8] == b"ftyp"


def test_a_kept_backend_answers_the_message_in_hand_before_it_closes(tmp_path: Path) -> None:
    backend = kept(tmp_path, generation_seconds=0.5)
    with client_of(backend) as client:
        headers, session_id = sign_up(client)
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": "generate a 3-second video of rain"}]},
        }
        with client.stream("POST", "/run_sse", json=body, headers=headers) as stream:
            for line in stream.iter_lines():
                if "functionCall" in line:
                    break  # the client goes away mid-run, as a command interrupted would
    backend.close()

    with kept(tmp_path) as again, client_of(again) as client:
        assert state_of(client, headers, session_id)["draft"]["d"] == 3000
        assert client.get("/api/credits/balance/simple", headers=headers).json()["data"]["frozen"] == 0


def test_a_damaged_state_file_is_set_aside_and_the_backend_starts_afresh(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "state.json").write_text('{"users": [{"user_id": 7}]', encoding="utf-8")

    with kept(tmp_path) as backend:
        assert backend.store.users() == []
        backend.add_user()

    assert [p.name.split(".corrupt-")[0] for p in tmp_path.glob("state.json.corrupt-*")] == ["state.json"]
    assert len(json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))["users"]) == 1
