"""One MCP server over streamable HTTP under load: 50 concurrent tool calls across 16 sessions.

Run: ``python bench/bench_load.py [--calls 50] [--sessions 16] [--sequential 500]``.

Why (issue 6): over HTTP one server serves several clients at once. Each session here is its own
person (issue 13: a ``--tokens-file`` line, so its own principal and projects). Concurrent
calls must not fail, must not be much slower than the same calls made one at a time, and must
never cross: a session's timeline holds its own prompt's clip and nobody else's. A long-lived
server must not grow without bound either.

How: the local backend runs in its own process (fast settings: generation 0.2 s, 144 p renders)
with one registered user holding plenty of credits; ``python -m kling_ai_30 serve --http`` runs
in another, with a private ``HOME``, ``NEMO_TOKEN`` set to that user, and a ``--tokens-file`` of one
token per session plus one for the baseline. ``--sessions`` clients connect with ``mcp.Client`` in
the 2025-11-25 era, each sending its own bearer token; each makes one ``state`` call first (which
opens its project; not timed). Then ``--calls`` calls start at once: one ``generate`` per session,
each with its own subject ("a 2 second video of a red fox"), and the rest ``credits``,
``upload`` (a link: shared callers never name a server file) and ``state``, spread over the
sessions. Baseline, same run, same server: the same calls one after another through a single
session. ``generate`` waits for its job, which here includes the export the agent offers (a real render and download).

Afterwards every session's project's ``state`` must name its own subject and no other one. Finally
``--sequential`` ``credits``/``state`` calls on one session, with the server's ``VmRSS`` read
from ``/proc/<pid>/status`` before, every 100 calls and after; and ``--churn`` short sessions
(connect, one ``state`` call, disconnect), which shows what each MCP session leaves behind.

Targets: 0 errors, nothing crossed; the ratio and the RSS growth are reported.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
from _common import FAST_BACKEND, backend_process, machine_line, mcp_http_server, status_kib, verdict
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

SUBJECTS = (
    "red fox", "blue whale", "snow owl", "desert camel", "green turtle", "golden eagle", "black panther",
    "white rabbit", "grey wolf", "pink flamingo", "brown bear", "orange koi", "silver salmon", "purple octopus",
    "yellow canary", "spotted leopard", "striped zebra", "polar bear", "humming bird", "giant panda",
)  # fmt: skip
OTHER_KINDS = ("credits", "upload", "state")
CALL_TIMEOUT_S = 120.0
CALL_WAIT_S = 60.0  # generate's wait_seconds: the job (generation + export) finishes within it
RSS_EVERY = 100
PHOTO_URL = "https://example.com/photos/harbour.jpg"  # the local backend makes a stand-in, offline
ERROR_TEXT_CHARS = 200
# One bearer token per session (its own person, so its own projects), and one for the baseline runs.
TOKENS = [secrets.token_urlsafe(32) for _ in range(len(SUBJECTS) + 1)]
SOLO = TOKENS[-1]
LOG_EXCERPT_CHARS = 3000


@dataclass(frozen=True)
class Call:
    session: int
    tool: str
    arguments: dict[str, Any]


@dataclass
class Outcome:
    call: Call
    error: str | None
    result: CallToolResult | None


# ------------------------------------------------------------------ setup


def project_of(session: int) -> str:
    return f"session-{session}"


def plan_calls(calls: int, sessions: int) -> list[Call]:
    """One generate per session (its own subject), then credits/upload/state spread over them;
    every call in its session's project."""
    plan = [
        Call(
            s,
            "generate",
            {
                "message": f"generate a 2 second video of a {SUBJECTS[s]}",
                "wait_seconds": CALL_WAIT_S,
                "project": project_of(s),
            },
        )
        for s in range(sessions)
    ]
    arguments: dict[str, dict[str, Any]] = {"credits": {}, "state": {}, "upload": {"url": PHOTO_URL}}
    for index in range(calls - sessions):
        kind, session = OTHER_KINDS[index % len(OTHER_KINDS)], index % sessions
        plan.append(Call(session, kind, arguments[kind] | {"project": project_of(session)}))
    return plan


# ------------------------------------------------------------------ calls


async def call(client: Client, planned: Call) -> Outcome:
    try:
        result = await client.call_tool(planned.tool, planned.arguments)
    except Exception as exc:  # a protocol failure is the figure we report, not a crash
        return Outcome(planned, f"{type(exc).__name__}: {exc}", None)
    if result.is_error:
        return Outcome(planned, _text(result), result)
    if planned.tool == "generate" and (result.structured_content or {}).get("status") != "done":
        return Outcome(planned, f"generate not done: {(result.structured_content or {}).get('status')}", result)
    return Outcome(planned, None, result)


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)[:ERROR_TEXT_CHARS]


async def connect(stack: AsyncExitStack, url: str, tokens: Sequence[str]) -> list[Client]:
    clients = []
    for token in tokens:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30, read=300))
        )
        transport = streamable_http_client(url, http_client=http)
        client = Client(transport, mode="legacy", read_timeout_seconds=CALL_TIMEOUT_S)
        clients.append(await stack.enter_async_context(client))
    for session, client in enumerate(clients):
        await client.call_tool("state", {"project": project_of(session)})  # opens it; not part of the figure
    return clients


async def concurrent_run(url: str, plan: list[Call], sessions: int) -> tuple[float, list[Outcome], list[str]]:
    outcomes: list[Outcome] = []
    stack = AsyncExitStack()
    clients = await connect(stack, url, TOKENS[:sessions])

    async def one(planned: Call) -> None:
        outcomes.append(await call(clients[planned.session], planned))

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for planned in plan:
            group.start_soon(one, planned)
    elapsed = time.perf_counter() - started
    crossed = await check_crossing(clients, sessions, outcomes)
    await stack.aclose()
    return elapsed, outcomes, crossed


async def check_crossing(clients: list[Client], sessions: int, outcomes: list[Outcome]) -> list[str]:
    """Every session's timeline, read afterwards and in its generate result, names its own subject only."""
    problems = []
    generated = {o.call.session: o.result for o in outcomes if o.call.tool == "generate" and o.result is not None}
    for index in range(sessions):
        state = await clients[index].call_tool("state", {"project": project_of(index)})
        after = (state.structured_content or {}).get("summary", "")
        during = (generated[index].structured_content or {}).get("timeline", "") if index in generated else ""
        for label, summary in (("state afterwards", str(after).lower()), ("generate result", str(during).lower())):
            own = SUBJECTS[index]
            others = [s for s in SUBJECTS[:sessions] if s != own and s in summary]
            if own not in summary or others:
                problems.append(f"session {index} ({own}), {label}: {summary[:160]!r}")
    return problems


async def sequential_run(url: str, plan: list[Call]) -> tuple[float, list[Outcome]]:
    async with AsyncExitStack() as stack:
        (client,) = await connect(stack, url, [SOLO])
        started = time.perf_counter()
        outcomes = [await call(client, Call(0, planned.tool, planned.arguments)) for planned in plan]
        return time.perf_counter() - started, outcomes


async def memory_run(url: str, pid: int, count: int) -> list[tuple[int, int]]:
    """(calls made, server VmRSS KiB) before, every ``RSS_EVERY`` calls and after ``count`` calls."""
    samples = []
    async with AsyncExitStack() as stack:
        (client,) = await connect(stack, url, [SOLO])
        samples.append((0, status_kib("VmRSS", pid)))
        for index in range(count):
            tool = "credits" if index % 2 == 0 else "state"
            result = await client.call_tool(tool, {})
            if result.is_error:
                raise RuntimeError(f"{tool} failed: {_text(result)}")
            if (index + 1) % RSS_EVERY == 0 or index + 1 == count:
                samples.append((index + 1, status_kib("VmRSS", pid)))
    return samples


async def churn_run(url: str, pid: int, count: int) -> tuple[int, int]:
    """Server VmRSS (KiB) before and after ``count`` short sessions: connect, one state call, leave."""
    before = status_kib("VmRSS", pid)
    for _ in range(count):
        async with AsyncExitStack() as stack:
            await connect(stack, url, [SOLO])
    return before, status_kib("VmRSS", pid)


# ------------------------------------------------------------------ main


async def measure(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    plan = plan_calls(args.calls, args.sessions)
    phases = [("started", status_kib("VmRSS", pid))]
    async with AsyncExitStack() as stack:  # warm-up: imports, token, the first render
        (client,) = await connect(stack, url, [SOLO])
        await call(client, Call(0, "generate", {"message": "generate a 2 second video of a sunrise"}))
    phases.append(("after warm-up", status_kib("VmRSS", pid)))
    concurrent_s, concurrent, crossed = await concurrent_run(url, plan, args.sessions)
    phases.append(("after the concurrent run", status_kib("VmRSS", pid)))
    sequential_s, sequential = await sequential_run(url, plan)
    phases.append(("after the sequential run", status_kib("VmRSS", pid)))
    rss = await memory_run(url, pid, args.sequential)
    churn = await churn_run(url, pid, args.churn)
    return {
        "churn": churn,
        "phases": phases,
        "concurrent_s": concurrent_s,
        "concurrent": concurrent,
        "crossed": crossed,
        "sequential_s": sequential_s,
        "sequential": sequential,
        "rss": rss,
        "peak_kib": status_kib("VmHWM", pid),
    }


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    kinds = sorted({o.call.tool for o in results["concurrent"]})
    mix = ", ".join(f"{sum(o.call.tool == k for o in results['concurrent'])} {k}" for k in kinds)
    print(f"\n{args.calls} calls ({mix}) across {args.sessions} sessions")
    errors = {name: [o for o in results[name] if o.error] for name in ("concurrent", "sequential")}
    print(
        f"  concurrent, {args.sessions} sessions: {results['concurrent_s']:6.2f} s, {len(errors['concurrent'])} errors"
    )
    print(f"  sequential, 1 session:  {results['sequential_s']:6.2f} s, {len(errors['sequential'])} errors")
    print(f"  ratio concurrent / sequential wall time: {results['concurrent_s'] / results['sequential_s']:.2f}x")
    for outcome in errors["concurrent"] + errors["sequential"]:
        print(f"    error: session {outcome.call.session} {outcome.call.tool}: {outcome.error}")
    crossed = results["crossed"]
    sessions_crossed = {problem.split(" (")[0] for problem in crossed}
    print(f"  crossed sessions: {len(sessions_crossed)} of {args.sessions}")
    for problem in crossed:
        print(f"    {problem}")
    print("\nserver VmRSS: " + ", ".join(f"{name} {kib:,} KiB" for name, kib in results["phases"]))
    rss = results["rss"]
    print(f"\n{args.sequential} sequential credits/state calls on one session: server VmRSS")
    print("  " + ", ".join(f"{n}: {kib:,} KiB" for n, kib in rss))
    growth = rss[-1][1] - rss[0][1]
    after_first = rss[-1][1] - rss[1][1] if len(rss) > 2 else growth
    print(
        f"  growth {growth:+,} KiB over {args.sequential} calls ({growth / args.sequential:+.2f} KiB/call); "
        f"{after_first:+,} KiB after the first {rss[1][0]}; server peak VmHWM {results['peak_kib'] / 1024:.0f} MiB"
    )
    before, after = results["churn"]
    print(
        f"\n{args.churn} short sessions (connect, one state call, leave): server VmRSS {before:,} -> {after:,} KiB "
        f"({after - before:+,} KiB, {(after - before) / max(args.churn, 1):+.1f} KiB/session); "
        f"{results['project_files']} project files on disk"
    )
    clean = not errors["concurrent"] and not errors["sequential"] and not crossed
    print(f"\nload: {verdict(clean)} (0 errors, nothing crossed)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=50, help="concurrent tool calls")
    parser.add_argument("--sessions", type=int, default=16, help=f"MCP sessions (at most {len(SUBJECTS)})")
    parser.add_argument("--sequential", type=int, default=500, help="calls on one session for the memory figure")
    parser.add_argument("--churn", type=int, default=200, help="short-lived sessions for the per-session memory figure")
    args = parser.parse_args(argv)
    if not args.sessions <= min(args.calls, len(SUBJECTS)):
        parser.error("need sessions <= calls and sessions <= the number of subjects")

    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="kling-bench-load-") as tmp:
        scratch = Path(tmp)
        people = scratch / "tokens"
        people.write_text("".join(f"session{i} {token}\n" for i, token in enumerate(TOKENS)), encoding="ascii")
        with (
            backend_process(FAST_BACKEND, scratch / "backend-home") as (backend_url, _),
            mcp_http_server(
                backend_url, scratch / "server-home", scratch / "server.log", "--tokens-file", str(people)
            ) as (url, server),
        ):
            results = anyio.run(measure, url, server.pid, args)
            results["project_files"] = sum(1 for _ in (scratch / "server-home").rglob("projects/*/*.json"))
        server_log = (scratch / "server.log").read_text(errors="replace")
    print(f"machine after: {machine_line()}")
    report(results, args)
    tracebacks = server_log.count("Traceback")
    print(f"server log: {tracebacks} tracebacks")
    if tracebacks:
        first = server_log.index("Traceback")
        print(server_log[first : first + LOG_EXCERPT_CHARS])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
