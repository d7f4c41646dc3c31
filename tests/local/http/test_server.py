"""The loopback runner: background thread for tests, foreground `serve` for the CLI, clean shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from kling_ai_30.local import LocalBackend, run_in_thread

SERVE_SCRIPT = """
import sys
from kling_ai_30.local import LocalBackend, SimConfig, serve
with LocalBackend(SimConfig(generation_seconds=0.0, edit_seconds=0.0)) as backend:
    serve(backend, port=0, on_ready=lambda url: print(url, flush=True))
print("stopped", flush=True)
"""


def test_run_in_thread_serves_on_a_free_loopback_port_and_releases_it() -> None:
    with LocalBackend() as backend:
        with run_in_thread(backend) as url:
            host, port = url.removeprefix("http://").split(":")
            assert host == "127.0.0.1" and int(port) > 0
            assert httpx.get(url + "/_sim/health").json()["status"] == "ok"
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/_sim/health")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_in_the_foreground_announces_its_url_and_stops_cleanly_on_a_signal(stop: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(url + "/_sim/health", timeout=10)
        armed = httpx.post(url + "/_sim/faults", json={"block_export": True}, timeout=10)
        assert health.json()["status"] == "ok"
        assert armed.json()["faults"]["block_export"] == "until cleared"
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_the_runner_sets_tcp_nodelay_so_keep_alive_requests_are_fast() -> None:
    with LocalBackend() as backend, run_in_thread(backend) as url, httpx.Client(base_url=url) as client:
        client.get("/_sim/health")
        started = time.monotonic()
        for _ in range(10):
            client.get("/_sim/health")
        elapsed = time.monotonic() - started

    assert elapsed < 0.3  # 10 x 40 ms would be the delayed-ACK stall


def test_an_ipv6_loopback_host_works_when_available() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with LocalBackend() as backend, run_in_thread(backend, host="::1") as url:
        assert url.startswith("http://[::1]:")
        assert httpx.get(url + "/_sim/health").status_code == 200
