"""The first tool call after start-up: spawn ``serve`` (stdio), ``initialize``, then ``credits`` or ``state``.

Run: ``python bench/bench_first_call.py [--runs 11]``.

Why (issue 16): a host starts the server when a conversation opens, and the user's first request
is its first tool call. Everything the server put off to start fast (the client and chat stack,
the backend client, the project) is paid on that call, unless the server did it in the background
while the host was still setting up.

How: the local backend runs in its own process with one registered user (``NEMO_TOKEN``). Each
run spawns ``python -m kling_ai_30 serve`` with a private ``HOME`` and speaks JSON-RPC over its
stdin/stdout as a host does: ``initialize``, ``notifications/initialized`` and ``tools/list``,
then at once the first tool call (``credits`` in half the runs, ``state`` in the other half), then
the same call ``WARM_CALLS`` times more on the now warm server: their median is the baseline, the
same call measured in the same process. Two kinds of start, interleaved:

- *returning user*: a ``HOME`` where an earlier server already opened the project (its backend
  session saved), as on every start after the first;
- *first use*: a new ``HOME`` each run; the first call also creates the backend session (one more
  request, which a warm call never makes).

The minimal one-tool ``MCPServer`` of ``bench_startup.py`` runs in turn with ours, spawned and
called the same way (its ``ping`` tool), as the floor for "spawn -> first answer". Python's
bytecode cache is on, as for an installed package after its first start; one unmeasured warm-up
of each program first.

Then, in process (median of ``--stages`` fresh processes, the SDK imported first), where a first
call's time goes: importing the workspace stack, building the ``Workspace``, entering it, opening
the project and the ``credits`` request, against a second ``credits``.

Target: the first call answered <= 150 ms after the ``initialize`` answer (issue 16), at low load.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import Stdio, backend_process, machine_line, median, private_env, registered_token, source_at, verdict
from bench_startup import MINIMAL_SERVER, phases

TARGET_MS = 150.0
WARM_CALLS = 5
TOOLS = ("credits", "state")
MINIMAL_TOOL = "ping"
RETURNING = "returning user"
MINIMAL = "minimal MCPServer"
# Where a first call's time goes, in process; prints one JSON object of milliseconds. Runs with
# the same environment as the served runs (NEMO_* pointing at the local backend).
STAGES = textwrap.dedent(
    """
    import json, time
    import anyio
    import mcp.server.mcpserver
    import kling_ai_30.mcp_server.server
    from kling_ai_30.config import load_settings

    async def main():
        marks = [time.perf_counter()]
        import kling_ai_30.workspace.workspace
        marks.append(time.perf_counter())
        workspace = kling_ai_30.workspace.workspace.Workspace(load_settings())
        marks.append(time.perf_counter())
        async with workspace:
            marks.append(time.perf_counter())
            ref = workspace.project_ref()
            await workspace.project(ref)
            marks.append(time.perf_counter())
            await workspace.credits(ref)
            marks.append(time.perf_counter())
            await workspace.credits(ref)
            marks.append(time.perf_counter())
        names = ["import the workspace stack", "Workspace()", "enter it", "open the project",
                 "first credits request", "second credits request (warm)"]
        print(json.dumps({n: (b - a) * 1e3 for n, a, b in zip(names, marks, marks[1:])}))

    anyio.run(main)
    """
)


@dataclass(frozen=True)
class Start:
    """One spawned server: seconds from spawn to each answer."""

    initialized: float
    first_call: float
    """Spawn -> the first tool call answered."""
    first_call_latency: float
    """The first tool call: sent -> answered."""
    warm_latency: float
    """The same call on the warm server (median of ``WARM_CALLS``)."""

    @property
    def after_initialize(self) -> float:
        return self.first_call - self.initialized


def timed_call(server: Stdio, tool: str) -> float:
    started = time.perf_counter()
    server.request("tools/call", {"name": tool, "arguments": {}})
    return time.perf_counter() - started


def start_and_call(command: Sequence[str], env: dict[str, str], tool: str) -> Start:
    """Spawn ``command``, set it up as a host does, call ``tool`` at once, then again on the warm server."""
    server = Stdio(command, env)
    try:
        server.initialize()
        initialized = server.elapsed()
        server.request("tools/list", {})
        latency = timed_call(server, tool)
        first = server.elapsed()
        warm = median([timed_call(server, tool) for _ in range(WARM_CALLS)])
    finally:
        server.close()
    return Start(initialized, first, latency, warm)


def spread(values: Sequence[float], unit: float = 1e3) -> str:
    return f"{median(values) * unit:7.0f} ms  ({min(values) * unit:.0f}-{max(values) * unit:.0f})"


def report(name: str, starts: Sequence[Start]) -> None:
    ratios = [start.first_call_latency / start.warm_latency for start in starts]
    print(f"\n{name} ({len(starts)} starts; median, min-max)")
    print(f"  {'spawn -> initialize answered':>44}: {spread([s.initialized for s in starts])}")
    print(f"  {'spawn -> first call answered':>44}: {spread([s.first_call for s in starts])}")
    print(f"  {'initialize answered -> first call answered':>44}: {spread([s.after_initialize for s in starts])}")
    print(f"  {'first call (sent -> answered)':>44}: {spread([s.first_call_latency for s in starts])}")
    print(f"  {'the same call on the warm server':>44}: {spread([s.warm_latency for s in starts])}")
    print(
        f"  {'first call / warm call':>44}: {median(ratios):7.1f}x  ({min(ratios):.1f}-{max(ratios):.1f}); "
        f"excess {median([s.first_call_latency - s.warm_latency for s in starts]) * 1e3:.0f} ms"
    )


@dataclass(frozen=True)
class Kind:
    """One kind of start: what is spawned, in which home, calling which tool."""

    command: list[str]
    home: Callable[[int], Path]
    """The ``HOME`` of run ``n``."""
    tools: tuple[str, ...] = TOOLS
    fresh: bool = False
    """Remove the home after each run (a first use)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=12, help="starts per kind (half credits, half state)")
    parser.add_argument("--stages", type=int, default=5, help="processes for the in-process breakdown")
    parser.add_argument("--baseline", help="also start the code of this git revision (returning user), in turn")
    args = parser.parse_args(argv)

    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="kling-bench-first-call-") as tmp:
        scratch = Path(tmp)
        with backend_process({}, scratch / "backend") as (url, _):
            base = {
                "NEMO_API_URL": url,
                "NEMO_WEB_URL": url,
                "NEMO_TOKEN": registered_token(url),
                "PYTHONPYCACHEPREFIX": str(scratch / "pycache"),
            }
            minimal_script = scratch / "minimal_server.py"
            minimal_script.write_text(MINIMAL_SERVER, encoding="utf-8")
            serve = [sys.executable, "-m", "kling_ai_30", "serve"]
            kinds = {
                RETURNING: Kind(serve, lambda n: scratch / "returning"),
                "first use": Kind(serve, lambda n: scratch / f"first-use-{n}", fresh=True),
                MINIMAL: Kind([sys.executable, str(minimal_script)], lambda n: scratch / "minimal", (MINIMAL_TOOL,)),
            }
            paths: dict[str, str] = {}
            if args.baseline:
                name = f"returning user, code at {args.baseline}"
                paths[name] = str(source_at(args.baseline, scratch / "baseline"))
                kinds[name] = Kind(serve, lambda n: scratch / "returning-baseline")

            def env(kind: str, home: Path) -> dict[str, str]:
                environment = private_env(home, **base)
                environment.pop("PYTHONDONTWRITEBYTECODE", None)
                if kind in paths:
                    environment["PYTHONPATH"] = paths[kind]
                return environment

            for name, kind in kinds.items():  # warm-up: bytecode, page cache; opens the returning user's project
                if not kind.fresh:
                    start_and_call(kind.command, env(name, kind.home(-1)), kind.tools[-1])
            results: dict[str, list[Start]] = {name: [] for name in kinds}
            for run in range(args.runs):  # in turn, so a busy moment hits each alike
                for name, kind in kinds.items():
                    home, tool = kind.home(run), kind.tools[run % len(kind.tools)]
                    results[name].append(start_and_call(kind.command, env(name, home), tool))
                    if kind.fresh:
                        shutil.rmtree(home, ignore_errors=True)
            script = scratch / "stages.py"
            script.write_text(STAGES, encoding="utf-8")
            breakdown = phases(script, env(RETURNING, kinds[RETURNING].home(0)), args.stages)
    print(f"machine after: {machine_line()}")

    for name, starts in results.items():
        report(name, starts)
        tools = kinds[name].tools
        if len(tools) > 1:
            for tool in tools:
                picked = [s for i, s in enumerate(starts) if tools[i % len(tools)] == tool]
                label = f"{tool}: initialize -> first call answered"
                print(f"  {label:>44}: {spread([s.after_initialize for s in picked])}")
    ours = median([s.first_call for s in results[RETURNING]])
    floor = median([s.first_call for s in results[MINIMAL]])
    print(f"\nspawn -> first call answered, returning user / minimal MCPServer: {ours / floor:.2f}x")
    for name in paths:
        before = median([s.after_initialize for s in results[name]])
        after = median([s.after_initialize for s in results[RETURNING]])
        print(f"initialize -> first call answered, returning user, now / {name}: {after / before:.2f}x")
    print(f"\nin process, returning user, median of {args.stages} processes (the SDK imported first):")
    for name, ms in breakdown.items():
        print(f"  {name:>32}: {ms:6.1f} ms")
    after_init = median([s.after_initialize for s in results[RETURNING]]) * 1e3
    print(
        f"\nfirst call: answered {after_init:.0f} ms after initialize (returning user); "
        f"{verdict(after_init <= TARGET_MS)} (<= {TARGET_MS:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
