"""A warm ``generate`` round trip, and the requests it makes, now against the code of an earlier revision.

Run: ``python bench/bench_generate.py [--rounds 8] [--baseline abab5d2]``.

Why (issue 16): a ``generate`` that the backend answers quickly was still slow, because the
export that follows it waited a fixed second before its first render poll, and it made requests
that a result does not need (the export read the state the reply had just read; every export
asked for a new claim token for its task link).

How: the local backend in its own process (the fast settings of ``_common.FAST_BACKEND``: a
2-second 144 p clip, 0.2 s generation) with one registered user; two ``kling-ai-30 serve``
processes on stdio, each with its own ``HOME``: one runs this checkout's code, the other the
code of ``--baseline`` (``git archive``: same interpreter, same dependencies). Each server
answers one unmeasured ``generate`` first (its project set up, its connections open: warm). Then
``--rounds`` rounds, each one ``generate`` per server, in turn: "generate a 2 second video of
<a subject>", which the backend answers with a clip and "click Export"; the call returns when the
MP4 is on disk (``wait_seconds`` 60). Per call: the wall time from the request to the answer, and
the backend's request log (cleared before the call), by kind.

Figures: the median round trip of each, their ratio (now / baseline) and its range over the
rounds (each round's pair measured back to back), and the requests per ``generate``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from _common import (
    FAST_BACKEND,
    Stdio,
    backend_process,
    machine_line,
    median,
    private_env,
    registered_token,
    source_at,
)

DEFAULT_BASELINE = "abab5d2"  # main before issue 16's polling and request changes
SUBJECTS = (
    "a red fox",
    "a blue whale",
    "a lighthouse at dusk",
    "a snowy owl",
    "a paper boat",
    "a desert caravan",
    "a green frog",
    "a hot-air balloon",
)
WAIT_S = 60


def request_kind(method: str, path: str) -> str:
    """A request log entry as a kind of request (ids left out)."""
    if path.startswith("/api/state/"):
        return "GET state"
    if path.startswith("/api/render/proxy/lambda/"):
        return "GET render status (poll)"
    if path.startswith("/cdn/"):
        return "GET the MP4 (download)"
    return f"{method} {path}"


class Backend:
    """The local backend's request log, through its admin routes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def clear_log(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_sim/requests", method="DELETE"), timeout=10)

    def log(self) -> list[dict[str, object]]:
        with urllib.request.urlopen(f"{self.url}/_sim/requests", timeout=10) as answer:
            requests: list[dict[str, object]] = json.load(answer)["requests"]
        return requests


def generate(server: Stdio, subject: str) -> float:
    """One ``generate`` whose reply asks for the export; seconds until the MP4 is on disk."""
    started = time.perf_counter()
    result = server.call_tool(
        "generate", {"message": f"generate a 2 second video of {subject}", "wait_seconds": WAIT_S}
    )
    elapsed = time.perf_counter() - started
    if result.get("status") != "done" or not (result.get("export") or {}).get("path"):
        raise RuntimeError(f"generate did not deliver a video: {result.get('status')}: {result.get('message')}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=8, help="measured generate calls per server")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare against")
    args = parser.parse_args(argv)

    print(f"machine: {machine_line()}")
    names = ("now", f"at {args.baseline}")
    times: dict[str, list[float]] = {name: [] for name in names}
    requests: dict[str, list[Counter[str]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="kling-bench-generate-") as tmp:
        scratch = Path(tmp)
        baseline_path = source_at(args.baseline, scratch / "baseline")
        with backend_process(FAST_BACKEND, scratch / "backend") as (url, _):
            backend = Backend(url)
            token = registered_token(url)
            servers: dict[str, Stdio] = {}
            try:
                for name in names:
                    env = private_env(scratch / name, NEMO_API_URL=url, NEMO_WEB_URL=url, NEMO_TOKEN=token)
                    if name != "now":
                        env["PYTHONPATH"] = str(baseline_path)
                    servers[name] = Stdio([sys.executable, "-m", "kling_ai_30", "serve"], env)
                    servers[name].initialize()
                    generate(servers[name], "a mountain lake")  # warm-up: project, session, connections
                for round_number in range(args.rounds):
                    subject = SUBJECTS[round_number % len(SUBJECTS)]
                    for name in (
                        names if round_number % 2 == 0 else reversed(names)
                    ):  # in turn, each first half the time
                        backend.clear_log()
                        times[name].append(generate(servers[name], subject))
                        log = backend.log()
                        requests[name].append(Counter(request_kind(str(r["method"]), str(r["path"])) for r in log))
            finally:
                for server in servers.values():
                    server.close()
    print(f"machine after: {machine_line()}")

    print(f"\nwarm generate round trip (request -> MP4 on disk), {args.rounds} rounds (median, min-max)")
    for name in names:
        values = times[name]
        print(f"  {name:>16}: {median(values):6.2f} s  ({min(values):.2f}-{max(values):.2f})")
    ratios = [now / before for now, before in zip(times[names[0]], times[names[1]], strict=True)]
    print(f"  {'now / baseline':>16}: {median(ratios):6.2f}x  ({min(ratios):.2f}-{max(ratios):.2f} over the rounds)")

    kinds = sorted({kind for name in names for counts in requests[name] for kind in counts})
    print("\nrequests per generate (median over the rounds)")
    print(f"  {'':>34}" + "".join(f"{name:>16}" for name in names))
    for kind in kinds:
        print(f"  {kind:>34}" + "".join(f"{median([c[kind] for c in requests[name]]):>16.0f}" for name in names))
    totals = {name: median([sum(c.values()) for c in requests[name]]) for name in names}
    print(f"  {'all':>34}" + "".join(f"{totals[name]:>16.0f}" for name in names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
