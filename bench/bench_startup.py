"""MCP server start-up: spawn ``python -m kling_ai_30 serve`` (stdio) until ``initialize`` is answered.

Run: ``python bench/bench_startup.py [--runs 21]``.

Why (issue 4): a host starts the server when a conversation opens and waits for it; every
import the server does on the way is time the user watches. The baseline, measured the same
way in the same run, is the smallest useful MCP server: one ``MCPServer`` with one tool. A bare
interpreter answering the same line shows the floor neither can go below.

How: each run spawns the program with a private ``HOME`` (and ``NEMO_API_URL`` pointing at a
closed local port, so nothing can reach a real backend), writes one JSON-RPC ``initialize``
request (protocol 2025-11-25) to its stdin and stops the clock when the answer arrives on
stdout; then stdin is closed and the server exits. Programs are run in turn, after one unmeasured
warm-up each, with Python's bytecode cache on (``PYTHONPYCACHEPREFIX`` in a scratch folder), as
an installed package runs after its first start; the median over ``--runs`` counts.

Then ``python -X importtime`` on the same ``serve`` start lists where our import time goes: our
own modules by self time, and the imports our code pulls in that the minimal server never
loads, by cumulative time.

Target: our median <= 1.3x the minimal server's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import EXIT_TIMEOUT_S, INITIALIZE, machine_line, median, private_env, verdict

TARGET_RATIO = 1.3
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, nothing leaves the machine
MINIMAL_SERVER = textwrap.dedent(
    '''
    import anyio
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(name="minimal")


    @server.tool()
    def ping() -> str:
        """Answer pong."""
        return "pong"


    anyio.run(server.run_stdio_async)
    '''
)
BARE_INTERPRETER = textwrap.dedent(
    """
    import json, sys
    request = json.loads(sys.stdin.readline())
    print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {}}), flush=True)
    sys.stdin.read()
    """
)
TOP_OFFENDERS = 12
PHASE_RUNS = 5
# Where a start-up's time goes, in process, stage by stage; the SDK is imported first so that
# "our imports" are only what we add to it. Prints one JSON object of milliseconds.
PHASES_OURS = textwrap.dedent(
    """
    import json, time
    marks = [time.perf_counter()]
    import mcp.server.mcpserver
    marks.append(time.perf_counter())
    import kling_ai_30.cli.commands, kling_ai_30.mcp_server.server
    marks.append(time.perf_counter())
    from kling_ai_30.config import load_settings
    from kling_ai_30.mcp_server.server import build_server
    server = build_server(load_settings())
    marks.append(time.perf_counter())
    import anyio

    async def enter_lifespan():
        async with server.settings.lifespan(server):
            marks.append(time.perf_counter())

    anyio.run(enter_lifespan)
    names = ["SDK import", "our imports", "settings + build_server", "lifespan (Workspace)"]
    print(json.dumps({n: (b - a) * 1e3 for n, a, b in zip(names, marks, marks[1:])}))
    """
)
PHASES_MINIMAL = textwrap.dedent(
    """
    import json, time
    marks = [time.perf_counter()]
    import mcp.server.mcpserver
    marks.append(time.perf_counter())
    server = mcp.server.mcpserver.MCPServer(name="minimal")

    @server.tool()
    def ping() -> str:
        return "pong"

    marks.append(time.perf_counter())
    names = ["SDK import", "MCPServer + one tool"]
    print(json.dumps({n: (b - a) * 1e3 for n, a, b in zip(names, marks, marks[1:])}))
    """
)


def time_to_initialize(command: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``command`` to its answer to ``initialize``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
        process.stdin.flush()
        while True:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"{command[-1]} exited before answering initialize")
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("id") == INITIALIZE["id"]:
                break
        elapsed = time.perf_counter() - started
        if "result" not in message:
            raise RuntimeError(f"initialize failed: {message}")
        return elapsed
    finally:
        process.stdin.close()
        try:
            process.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def phases(script: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    """Median milliseconds of each stage ``script`` reports, over ``runs`` fresh processes."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{script.name} failed:\n{done.stderr}")
        for name, ms in json.loads(done.stdout.strip().splitlines()[-1]).items():
            samples.setdefault(name, []).append(ms)
    return {name: median(values) for name, values in samples.items()}


# ------------------------------------------------------------------ -X importtime


@dataclass
class Imported:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None = None
    children: list[Imported] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[Imported]:
    """``-X importtime`` lines, each with its importer (the output is post-order, two spaces per level)."""
    modules: list[Imported] = []
    pending: dict[int, list[Imported]] = {}  # imports seen at a depth, waiting for their importer's line
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        head, cumulative, name_part = line.split("|", 2)
        name = name_part.strip()
        depth = (len(name_part) - len(name_part.lstrip(" ")) - 1) // 2
        module = Imported(name, int(head.split(":")[1]), int(cumulative), depth)
        module.children = pending.pop(depth + 1, [])
        for child in module.children:
            child.parent = name
        pending.setdefault(depth, []).append(module)
        modules.append(module)
    return modules


def importtime(command: Sequence[str], env: dict[str, str]) -> list[Imported]:
    """Start ``command`` under ``-X importtime`` and let it answer ``initialize`` (imports done then)."""
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        input=json.dumps(INITIALIZE).encode() + b"\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    return parse_importtime(done.stderr.decode(errors="replace"))


def report_imports(ours: list[Imported], minimal: list[Imported]) -> None:
    baseline = {module.name for module in minimal}
    extra = [module for module in ours if module.name not in baseline]
    print(
        f"\nimports: ours loads {len(ours)} modules, the minimal server {len(minimal)}; "
        f"{len(extra)} only ours, {sum(m.self_us for m in extra) / 1e3:.0f} ms of self time between them"
    )
    own = sorted((m for m in ours if m.name.startswith("kling_ai_30")), key=lambda m: -m.self_us)
    print(f"\nour modules by self time (their own top-level code), top {TOP_OFFENDERS}:")
    for module in own[:TOP_OFFENDERS]:
        print(f"  {module.self_us:>8,} us self  {module.cumulative_us:>9,} us cumulative  {module.name}")
    pulled = sorted(
        (
            m
            for m in extra
            if not m.name.startswith("kling_ai_30") and m.parent is not None and m.parent.startswith("kling_ai_30")
        ),
        key=lambda m: -m.cumulative_us,
    )
    print(f"\nimports our code pulls in that the minimal server never loads, by cumulative time, top {TOP_OFFENDERS}:")
    for module in pulled[:TOP_OFFENDERS]:
        print(f"  {module.cumulative_us:>9,} us cumulative  {module.name}  (imported by {module.parent})")


# ------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="measured starts per program (median counts)")
    args = parser.parse_args(argv)

    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="kling-bench-startup-") as tmp:
        scratch = Path(tmp)
        minimal_script = scratch / "minimal_server.py"
        minimal_script.write_text(MINIMAL_SERVER, encoding="utf-8")
        bare_script = scratch / "bare.py"
        bare_script.write_text(BARE_INTERPRETER, encoding="utf-8")
        env = private_env(
            scratch / "home",
            NEMO_API_URL=CLOSED_PORT_URL,
            NEMO_WEB_URL=CLOSED_PORT_URL,
            PYTHONPYCACHEPREFIX=str(scratch / "pycache"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        programs = {
            "kling-ai-30 serve": [sys.executable, "-m", "kling_ai_30", "serve"],
            "minimal MCPServer": [sys.executable, str(minimal_script)],
            "bare interpreter": [sys.executable, str(bare_script)],
        }
        times: dict[str, list[float]] = {name: [] for name in programs}
        for command in programs.values():
            time_to_initialize(command, env)  # warm-up: writes the bytecode cache, fills the OS page cache
        for _ in range(args.runs):
            for name, command in programs.items():  # in turn, so a busy moment hits each alike
                times[name].append(time_to_initialize(command, env))
        ours_imports = importtime(programs["kling-ai-30 serve"], env)
        minimal_imports = importtime(programs["minimal MCPServer"], env)
        stage_scripts = {"ours": PHASES_OURS, "minimal": PHASES_MINIMAL}
        stages = {}
        for name, text in stage_scripts.items():
            script = scratch / f"phases_{name}.py"
            script.write_text(text, encoding="utf-8")
            stages[name] = phases(script, env, PHASE_RUNS)
    print(f"machine after: {machine_line()}")

    print(f"\nspawn -> initialize answered, {args.runs} runs each (median, min, max)")
    for name, values in times.items():
        print(f"{name:>20}: {median(values) * 1e3:7.0f} ms  ({min(values) * 1e3:.0f}-{max(values) * 1e3:.0f})")
    ours, minimal = median(times["kling-ai-30 serve"]), median(times["minimal MCPServer"])
    bare = median(times["bare interpreter"])
    ratio = ours / minimal
    print(
        f"\nours / minimal: {ratio:.2f}x; above the bare interpreter: ours {(ours - bare) * 1e3:.0f} ms, "
        f"minimal {(minimal - bare) * 1e3:.0f} ms ({(ours - bare) / (minimal - bare):.2f}x)"
    )
    print(f"\nin process, by stage (median of {PHASE_RUNS} processes; the SDK imported first):")
    for name, stage in stages.items():
        print(f"  {name:>8}: " + "; ".join(f"{stage_name} {ms:.0f} ms" for stage_name, ms in stage.items()))
    report_imports(ours_imports, minimal_imports)
    print(f"\nstart-up: {ratio:.2f}x the minimal server; {verdict(ratio <= TARGET_RATIO)} (<= {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
