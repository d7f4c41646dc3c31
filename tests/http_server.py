"""A real ``kling-ai-30 serve --http`` process for tests, and MCP clients that call it with a token.

    with served_http(home, base_url, "--tokens-file", str(path)) as served:
        async with http_client(served.url, token) as client:
            await client.call_tool("state", {})

The server binds port 0; its start-up text (stdout) names the endpoint, which is read back, and the
server is ready once ``/healthz`` answers. On exit it gets SIGTERM and must exit 0, with no
traceback in its log (stderr: JSON lines).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.client.streamable_http import streamable_http_client

from kling_ai_30.local import LocalBackend

from .reliability.test_crash_safety import server_env

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
_ENDPOINT = re.compile(r"MCP server on (http://\S+/mcp)")


@dataclass
class Served:
    """One running server."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""
    """The MCP endpoint, ``http://127.0.0.1:<port>/mcp``."""
    token: str | None = None
    """The token callers send, when the test chose it (``KLING_HTTP_TOKEN``)."""
    _out: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    @property
    def stdout(self) -> str:
        """What the server printed (its start-up text)."""
        return "".join(self._out)

    def logs(self) -> list[dict[str, Any]]:
        """The log lines so far, each parsed (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(
    home: Path, base_url: str, *args: str, log: Path, stdout: int | IO[bytes] | None = None, **env: str
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "kling_ai_30", "serve", "--http", "--port", "0", *args]
    with open(log, "wb") as errors:
        return subprocess.Popen(
            command,
            env=server_env(home, base_url, **env),
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=errors,
            cwd="/",  # MCP hosts and service managers do not start servers in the project folder
        )


@contextmanager
def served_http(home: Path, base_url: str, *args: str, log: Path, **env: str) -> Iterator[Served]:
    """The server, started and ready; stopped with SIGTERM (it must exit 0) when the block ends."""
    process = start_server(home, base_url, *args, log=log, **env)
    served = Served(process, log, token=env.get("KLING_HTTP_TOKEN"))
    assert process.stdout is not None
    reader = threading.Thread(target=_read_into, args=(process.stdout, served._out), daemon=True)
    reader.start()
    try:
        wait_ready(served)
        yield served
    finally:
        stop(process)
        reader.join(5)
        process.stdout.close()
    assert process.returncode == 0, f"exit {process.returncode}\n{served.log_text()}"
    assert "Traceback" not in served.log_text(), served.log_text()


def wait_ready(served: Served, timeout: float = START_TIMEOUT_S) -> None:
    """Until the start-up text names the endpoint, is printed whole, and ``/healthz`` answers."""
    deadline = time.monotonic() + timeout
    while True:
        code = served.process.poll()
        assert code is None, f"the server exited ({code}): {served.stdout}\n{served.log_text()}"
        found = _ENDPOINT.search(served.stdout)
        if found and served.stdout.rstrip().endswith("}"):
            served.url = found.group(1)
            try:
                if httpx.get(served.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        assert time.monotonic() < deadline, f"the server did not start: {served.stdout}\n{served.log_text()}"
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` (once) and wait for the exit; the exit code."""
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"the server did not stop within {STOP_TIMEOUT_S} s of signal {sig}") from None
    return process.returncode


def run_to_exit(home: Path, base_url: str, *args: str, log: Path, **env: str) -> tuple[int, str, str]:
    """A server that is expected to refuse to start: its exit code, stdout and stderr."""
    process = start_server(home, base_url, *args, log=log, **env)
    out, _ = process.communicate(timeout=START_TIMEOUT_S)
    return process.returncode, out.decode(errors="replace"), log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def http_server(backend: LocalBackend, base_url: str, tmp_path: Path) -> Iterator[Served]:
    """``serve --http`` as a registered user with plenty of credits; callers send ``served.token``."""
    nemo = backend.add_user(credits=10_000).token
    home, token = tmp_path / "server-home", secrets.token_urlsafe(32)
    with served_http(home, base_url, log=tmp_path / "server.log", NEMO_TOKEN=nemo, KLING_HTTP_TOKEN=token) as served:
        yield served


def free_port() -> int:
    """A port nothing listens on now (for a server whose port must be known before it starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def http_client(
    url: str,
    token: str | None,
    *,
    mode: str = "legacy",
    headers: dict[str, str] | None = None,
    on_response: Callable[[httpx2.Response], Any] | None = None,
    extensions: list[ClientExtension] | None = None,
) -> AsyncIterator[Client]:
    """An ``mcp.Client`` over streamable HTTP that sends ``Authorization: Bearer <token>`` (and
    ``headers``) on every request; ``on_response`` sees every response (to read a session id)."""
    sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token is not None else {})}

    async def hook(response: httpx2.Response) -> None:
        if on_response is not None:
            on_response(response)

    http = httpx2.AsyncClient(headers=sent, timeout=httpx2.Timeout(30, read=300), event_hooks={"response": [hook]})
    transport = streamable_http_client(url, http_client=http)
    async with http, Client(transport, mode=mode, extensions=extensions) as client:  # type: ignore[arg-type]
        yield client


def _read_into(stream: IO[bytes], sink: list[str]) -> None:
    sink.extend(line.decode("utf-8", errors="replace") for line in iter(stream.readline, b""))
