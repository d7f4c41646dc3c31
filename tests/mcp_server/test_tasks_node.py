"""The official TypeScript client drives ``generate`` and ``export`` as MCP tasks against a real
``kling-ai-30 serve`` and the local backend (``tests/node/tasks_e2e.mjs``, the npm packages pinned in
``tests/node/package-lock.json``): create, poll to completion, read the result, cancel, and a task
that survives a ``kill -9`` and restart of the server — with exactly one chat message per request.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kling_ai_30.local import LocalBackend

from ..reliability.conftest import messages_sent
from ..reliability.test_crash_safety import server_env
from ..reliability.test_load import free_port

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PINNED = {"@modelcontextprotocol/client": "2.4.0", "@modelcontextprotocol/ext-tasks": "0.2.2"}
RUN_TIMEOUT_S = 300

pytestmark = pytest.mark.slow


def installed_version(package: str) -> str | None:
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["version"] if manifest.is_file() else None


@pytest.fixture(scope="module")
def node() -> str:
    """``node``, with the pinned packages installed (``.ci/run`` runs ``npm ci`` first; a checkout that
    has not is installed here, from the lockfile)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the official-client test needs Node.js >= 20")
    if any(installed_version(package) != version for package, version in PINNED.items()):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=RUN_TIMEOUT_S)
    return node


def run_node(node: str, config: Path) -> subprocess.CompletedProcess[str]:
    """The script in a process group of its own: on a timeout the servers it started go with it."""
    command = [node, "tasks_e2e.mjs", str(config)]
    with subprocess.Popen(
        command, cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_the_official_client_drives_generate_and_export_as_tasks_across_a_kill_and_restart(
    node: str, backend: LocalBackend, base_url: str, tmp_path: Path
) -> None:
    port = free_port()
    home = tmp_path / "server-home"
    config = {
        "url": f"http://127.0.0.1:{port}/mcp",
        "serve": [sys.executable, "-m", "kling_ai_30", "serve", "--http", "--port", str(port)],
        "stdio_args": ["-m", "kling_ai_30", "serve"],
        "env": server_env(home, base_url),
        "log": str(tmp_path / "server.log"),
        "sim": base_url,
        "token": None,
    }
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")

    run = run_node(node, tmp_path / "config.json")

    print(run.stdout)  # pytest shows it when the test fails
    log = Path(config["log"])
    server_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- server log ---\n{server_log[-4000:]}"
    steps = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [step.get("step") for step in steps[:-1]] == [
        "connected",
        "generate as a task",
        "export as a task",
        "calls without the extension are ordinary",
        "cancelling an export abandons the render",
        "cancelling a sent generation is refused, and it completes",
        "server killed with SIGKILL mid-task",
        "the task completes after the restart",
        "generate as a task over stdio",
        "done",
    ]
    summary = steps[-1]
    assert summary == {"ok": True, "generates": 4}
    # One chat message per generate request: none re-sent by the restart, the refused cancel or a retry.
    assert messages_sent(backend) == summary["generates"]
    assert "Traceback" not in server_log
