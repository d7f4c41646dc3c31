"""What the benchmarks share: a local backend in its own process, private homes, process memory.

The backend runs in a separate process so its memory and CPU are not counted as the client's:
``backend_process(config)`` starts ``python bench/_common.py backend --config JSON`` and yields
the URL it prints once its socket is bound. Every spawned program gets a private ``HOME`` (and
XDG directories) so a benchmark never reads or writes the real user's tokens, projects or videos.

Memory figures come from ``/proc/<pid>/status`` (Linux): ``VmRSS`` is the resident set now,
``VmHWM`` its peak, and writing ``5`` to ``/proc/self/clear_refs`` resets that peak to the
current RSS, so a peak can be taken over one operation only.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import secrets
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kling_ai_30.config import CLAUDE_MODEL_ENV, ENV_VARS

BACKEND_STOP_TIMEOUT_S = 10.0
EXIT_TIMEOUT_S = 10.0
PROTOCOL_VERSION = "2025-11-25"
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What a spawned program needs of an older revision: the package, and the skill files it reads its
# name and version from.
_SOURCE_PATHS = ("server", "frontmatter.yaml", "SKILL.md")
SERVER_START_TIMEOUT_S = 30.0
SERVER_STOP_TIMEOUT_S = 10.0
HTTP_TOKEN = secrets.token_urlsafe(32)
"""The bearer token ``mcp_http_server`` requires (``serve --http`` serves authenticated callers only)."""
# The brief's fast local backend: seconds-long work shrunk to fractions, tiny renders.
FAST_BACKEND: dict[str, Any] = {
    "generation_seconds": 0.2,
    "edit_seconds": 0.05,
    "heartbeat_every_s": 0.05,
    "render_max_height": 144,
    "render_fps": 8,
}
# Variables that would point a spawned program at a real account or backend.
_ISOLATED_VARS = (*ENV_VARS, "ANTHROPIC_API_KEY", CLAUDE_MODEL_ENV)
# An ISO-BMFF file type box: size 24, "ftyp", brand isom, minor version 512, compatible isom/mp41.
FTYP_BOX = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"
WRITE_CHUNK_BYTES = 1024 * 1024
_XDG_DIRS = (
    ("XDG_CONFIG_HOME", ".config"),
    ("XDG_STATE_HOME", ".local/state"),
    ("XDG_DATA_HOME", ".local/share"),
    ("XDG_CACHE_HOME", ".cache"),
)


def private_env(home: Path, **extra: str) -> dict[str, str]:
    """The current environment with ``HOME`` and the XDG dirs under ``home`` and no NEMO_* settings."""
    env = {key: value for key, value in os.environ.items() if key not in _ISOLATED_VARS}
    env["HOME"] = str(home)
    for var, sub in _XDG_DIRS:
        env[var] = str(home / sub)
    env.update(extra)
    return env


def source_at(revision: str, dest: Path) -> Path:
    """The package as of git ``revision``, unpacked under ``dest``; returns the folder to put first
    on ``PYTHONPATH`` so a spawned ``python -m kling_ai_30`` runs that code (with today's
    dependencies). A benchmark compares against it in the same run: "before" measured beside "after"."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", revision, *_SOURCE_PATHS], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "server"


def use_private_home(home: Path) -> None:
    """Make this process's own environment private (for code that reads ``os.environ``)."""
    os.environ.clear()
    os.environ.update(private_env(home))


@contextmanager
def backend_process(config: Mapping[str, Any], home: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run the local backend with ``config`` (``SimConfig`` fields) in its own process; yields (url, process)."""
    command = [sys.executable, str(Path(__file__).resolve()), "backend", "--config", json.dumps(config, default=str)]
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "backend.log"  # uvicorn's shutdown lines and any traceback, kept out of the figures
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, env=private_env(home), stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the URL, printed once the socket is bound ("" if it died)
        if not line.startswith("http"):
            raise RuntimeError(f"the local backend did not start; see {log_path}")
        yield line.strip(), process
    finally:
        stop_process(process, BACKEND_STOP_TIMEOUT_S)


@contextmanager
def mcp_http_server(
    backend_url: str, home: Path, log_path: Path, *args: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m kling_ai_30 serve --http [args]`` on a free port, talking to the local backend at
    ``backend_url`` as a new registered user, with a private ``home``; yields (MCP URL, process).
    Callers send ``Authorization: Bearer HTTP_TOKEN`` (unless ``args`` give other tokens)."""
    port = free_port()
    env = private_env(
        home,
        NEMO_API_URL=backend_url,
        NEMO_WEB_URL=backend_url,
        NEMO_TOKEN=registered_token(backend_url),
        KLING_HTTP_TOKEN=HTTP_TOKEN,
    )
    command = [sys.executable, "-m", "kling_ai_30", "serve", "--http", "--port", str(port), *args]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
    try:
        wait_for_port(port, server, SERVER_START_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}/mcp", server
    finally:
        stop_process(server, SERVER_STOP_TIMEOUT_S)


def stop_process(process: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the MCP server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the MCP server did not start listening in time")


def registered_token(backend_url: str, credits: int = 1_000_000) -> str:
    """A new registered user on the local backend; its bearer token, for ``NEMO_TOKEN``.

    Spawned clients with fresh homes would each ask for an anonymous token, and the backend
    allows only 10 per IP (as the real one does).
    """
    import httpx

    response = httpx.post(f"{backend_url}/_sim/users", json={"credits": credits}, timeout=10)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def status_kib(field: str, pid: int | str = "self") -> int:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss() -> None:
    """Reset this process's ``VmHWM`` to its current RSS (Linux ``clear_refs`` value 5)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")


def write_mp4_like(path: Path, size: int) -> Path:
    """An ``ftyp`` box then random bytes, ``size`` bytes in all: passes the client's MP4 checks."""
    with open(path, "wb") as handle:
        handle.write(FTYP_BOX)
        left = size - len(FTYP_BOX)
        while left > 0:
            chunk = os.urandom(min(WRITE_CHUNK_BYTES, left))
            handle.write(chunk)
            left -= len(chunk)
    return path


class Stdio:
    """A spawned MCP server spoken to over its stdin and stdout as a host does, one request at a time."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._next_id = 1

    def initialize(self) -> None:
        """``initialize``, then ``notifications/initialized`` (the server is then ready for calls)."""
        self.request(INITIALIZE["method"], INITIALIZE["params"])
        self.notify("notifications/initialized", {})

    def request(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and read until its answer (skipping notifications); returns the result."""
        request_id = self._next_id
        self._next_id += 1
        self.notify(method, params, request_id=request_id)
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the server exited before answering {method}")
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("id") == request_id:
                if "result" not in message:
                    raise RuntimeError(f"{method} failed: {message}")
                result: dict[str, Any] = message["result"]
                if result.get("isError"):
                    raise RuntimeError(f"{method} returned an error: {result}")
                return result

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``tools/call``; returns the tool's structured content."""
        result = self.request("tools/call", {"name": name, "arguments": dict(arguments or {})})
        structured: dict[str, Any] = result.get("structuredContent") or {}
        return structured

    def notify(self, method: str, params: Mapping[str, Any], *, request_id: int | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": dict(params)}
        if request_id is not None:
            message["id"] = request_id
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def elapsed(self) -> float:
        """Seconds since the spawn."""
        return time.perf_counter() - self.started

    def close(self) -> None:
        """Close stdin (the server exits) and wait for the process."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def machine_line() -> str:
    """Date, cores, load and Python: the context every figure needs."""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores; load average {load}; "
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}"
    )


def verdict(met: bool) -> str:
    return "target met" if met else "target MISSED"


def _serve_backend(argv: Sequence[str]) -> int:
    """``python bench/_common.py backend --config JSON``: serve the local backend, print its URL."""
    parser = argparse.ArgumentParser(prog="_common.py backend")
    parser.add_argument("--config", default="{}", help="SimConfig fields as JSON")
    args = parser.parse_args(argv)

    from kling_ai_30.local import LocalBackend, SimConfig, serve

    with LocalBackend(SimConfig.model_validate(json.loads(args.config))) as backend:
        serve(backend, port=0, on_ready=lambda url: print(url, flush=True))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["backend"]:
        raise SystemExit("usage: python bench/_common.py backend [--config JSON]")
    raise SystemExit(_serve_backend(sys.argv[2:]))
