"""The backend object's life: its data directory, and stopping its work when it closes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread


def test_the_backend_removes_its_temporary_data_but_keeps_a_given_directory(tmp_path: Path) -> None:
    with LocalBackend() as own:
        made = own.data_dir
        assert (made / "cdn").is_dir()
    given = tmp_path / "sim-data"
    with LocalBackend(SimConfig(data_dir=given)):
        pass

    assert not made.exists()
    assert (given / "cdn").is_dir()


def test_closing_the_backend_stops_a_long_run_quickly_and_releases_its_credits() -> None:
    backend = LocalBackend(SimConfig(generation_seconds=60.0, heartbeat_every_s=0.05))
    with run_in_thread(backend) as url, httpx.Client(base_url=url, timeout=10) as client:
        token = client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "closing"}).json()["data"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        sid = client.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "p"}, headers=headers).json()[
            "data"
        ]["session_id"]
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": sid,
            "new_message": {"parts": [{"text": "generate a 5 second video of hail"}]},
        }
        with client.stream("POST", "/run_sse", json=body, headers=headers) as stream:
            for line in stream.iter_lines():
                if "functionCall" in line:
                    break
        user_id = backend.store.users()[0].user_id

        started = time.monotonic()
        backend.close()

        assert time.monotonic() - started < 3
        assert backend.store.balance(user_id) == {"available": 100, "frozen": 0, "total": 100}
