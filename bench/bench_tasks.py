"""MCP tasks: how soon a ``generate`` or ``export`` called as a task answers with its task handle.

Run: ``python bench/bench_tasks.py [--runs 15]``.

Why (issue 11): a task-aware client (the Tasks extension, ``io.modelcontextprotocol/tasks``) gets a
handle at once and polls ``tasks/get``, instead of holding a tool call open for the minutes a video
takes. "At once" is the promise: the target is a handle in under 1 s.

How: the local backend in its own process with the fast settings and one registered user;
``python -m kling_ai_30 serve --http`` in another, with a private ``HOME``. Every request is one
JSON-RPC POST on the 2026-07-28 wire (no session: each carries the ``_meta`` envelope, and
``tools/call`` declares the extension), timed from send to the whole response read. Each run: the
baseline — the same server's ``credits`` call (one backend request) — then ``generate`` ("generate
a 3 second video of …", a new subject each run) as a task, polled with ``tasks/get`` to completion
(the video and its automatic export), then ``export`` as a task, polled likewise. The first run is
reported apart (it sets the project up: a token check and a new backend session) and the median
and range are over the others. For scale, the same ``generate`` without the extension, which holds
the call until the job is done, is timed once at the end.

Target: the median handle (generate and export) < 1 s, and the cold first one too.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import FAST_BACKEND, backend_process, machine_line, mcp_http_server, median, verdict

TARGET_S = 1.0
PROTOCOL = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"
SUBJECTS = ("red fox", "blue whale", "snow owl", "desert camel", "green turtle", "golden eagle", "grey wolf")
TASK_TIMEOUT_S = 120.0
POLL_S = 0.05  # faster than the server's pollIntervalMs: the bench waits for completion, not politely


@dataclass
class Timings:
    credits: list[float] = field(default_factory=list)
    generate: list[float] = field(default_factory=list)
    export: list[float] = field(default_factory=list)
    completed: list[float] = field(default_factory=list)
    """Seconds from a generate's handle to its task completed (the video and its export)."""


class Wire:
    """JSON-RPC over streamable HTTP, one exchange per POST (the 2026-07-28 wire has no session)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._http = httpx.Client(timeout=TASK_TIMEOUT_S)
        self._next = 0

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, params: dict[str, Any], *, name: str, tasks: bool) -> tuple[float, dict[str, Any]]:
        """(seconds, result) of one request; ``tasks`` declares the extension on it."""
        self._next += 1
        capabilities: dict[str, Any] = {"extensions": {TASKS: {}}} if tasks else {}
        meta = {
            "io.modelcontextprotocol/protocolVersion": PROTOCOL,
            "io.modelcontextprotocol/clientInfo": {"name": "bench-tasks", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        }
        body = {"jsonrpc": "2.0", "id": self._next, "method": method, "params": {**params, "_meta": meta}}
        headers = {
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": PROTOCOL,
            "mcp-method": method,
            "mcp-name": name,
        }
        started = time.perf_counter()
        response = self._http.post(self._url, json=body, headers=headers)
        elapsed = time.perf_counter() - started
        message = response.json()
        if "error" in message:
            raise RuntimeError(f"{method} {name}: {message['error']}")
        result: dict[str, Any] = message["result"]
        return elapsed, result

    def call(self, tool: str, arguments: dict[str, Any], *, tasks: bool) -> tuple[float, dict[str, Any]]:
        return self.request("tools/call", {"name": tool, "arguments": arguments}, name=tool, tasks=tasks)

    def until_done(self, task_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + TASK_TIMEOUT_S
        while time.monotonic() < deadline:
            _, task = self.request("tasks/get", {"taskId": task_id}, name=task_id, tasks=True)
            if task["status"] != "working":
                if task["status"] != "completed" or task["result"]["isError"]:
                    raise RuntimeError(f"task {task_id} ended {task['status']}: {task.get('statusMessage')}")
                return task
            time.sleep(POLL_S)
        raise RuntimeError(f"task {task_id} did not finish in {TASK_TIMEOUT_S:.0f} s")


def handle(wire: Wire, tool: str, arguments: dict[str, Any]) -> tuple[float, str]:
    elapsed, result = wire.call(tool, arguments, tasks=True)
    if result.get("resultType") != "task":
        raise RuntimeError(f"{tool} did not answer with a task: {str(result)[:300]}")
    return elapsed, str(result["taskId"])


def measure(wire: Wire, runs: int) -> tuple[Timings, float]:
    timings = Timings()
    for run in range(runs):
        subject = SUBJECTS[run % len(SUBJECTS)]
        timings.credits.append(wire.call("credits", {}, tasks=False)[0])
        seconds, task_id = handle(wire, "generate", {"message": f"generate a 3 second video of a {subject}"})
        timings.generate.append(seconds)
        started = time.perf_counter()
        wire.until_done(task_id)
        timings.completed.append(time.perf_counter() - started)
        seconds, task_id = handle(wire, "export", {})
        timings.export.append(seconds)
        wire.until_done(task_id)
    blocking, result = wire.call("generate", {"message": "generate a 3 second video of a white rabbit"}, tasks=False)
    if result.get("resultType") == "task" or result["structuredContent"]["status"] != "done":
        raise RuntimeError(f"the call without the extension did not wait for its result: {str(result)[:300]}")
    return timings, blocking


def line(name: str, values: Sequence[float]) -> str:
    warm = values[1:]
    return (
        f"| {name} | {values[0] * 1e3:.0f} ms | {median(warm) * 1e3:.0f} ms | "
        f"{min(warm) * 1e3:.0f}-{max(warm) * 1e3:.0f} ms |"
    )


def report(timings: Timings, blocking: float, runs: int) -> bool:
    print(f"\n{runs} runs; first run (project set-up) apart, median and range over the other {runs - 1}\n")
    print("| call | first run | median | range |")
    print("|---|---|---|---|")
    print(line("`credits` (baseline)", timings.credits))
    print(line("`generate` as a task: handle", timings.generate))
    print(line("`export` as a task: handle", timings.export))
    base = median(timings.credits[1:])
    print()
    for name, values in (("generate", timings.generate), ("export", timings.export)):
        print(f"{name} handle / credits (medians): {median(values[1:]) / base:.2f}x")
    print(f"generate handle -> task completed (fast local backend), median: {median(timings.completed):.2f} s")
    print(f"the same generate without the extension (the call waits for the result): {blocking:.2f} s")
    worst_first = max(timings.generate[0], timings.export[0])
    met = median(timings.generate[1:]) < TARGET_S and median(timings.export[1:]) < TARGET_S and worst_first < TARGET_S
    print(f"\nTarget: handle < {TARGET_S:.0f} s (median, and the first run): {verdict(met)}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="measured runs (default: %(default)s; the first is cold)")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2 (the first run is reported apart)")
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="bench-tasks-") as scratch:
        root = Path(scratch)
        with (
            backend_process(FAST_BACKEND, root / "backend") as (backend_url, _),
            mcp_http_server(backend_url, root / "server", root / "server.log") as (url, _),
        ):
            wire = Wire(url)
            try:
                timings, blocking = measure(wire, args.runs)
            finally:
                wire.close()
    report(timings, blocking, args.runs)
    print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
