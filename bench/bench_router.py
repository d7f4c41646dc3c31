"""The intent router: throughput, ``kling-ai-30 route`` start-up, and accuracy per family (issue 14).

Run: ``python bench/bench_router.py [--seconds 1] [--repeat 5] [--runs 15]``.

Throughput: routing is pure CPU work, so it is measured in CPU time (``time.process_time``),
which a busy machine cannot fake: utterances per CPU-second, on one core, over two corpora: the
session mix below (our estimate of what a session sends: mostly prompts and edits, some long,
direct requests, multi-intent, quotes, negations, attachments, links) and the 450-odd utterances
of the issue-14 development and held-back sets (the families people type). Each run routes the
corpus again and again for ``--seconds`` of CPU; the best of ``--repeat`` runs counts, the range
is printed. Target: >= 20,000 utterances per CPU-second on both.

Start-up: ``python -m kling_ai_30 route TEXT`` against a bare ``python -c "import argparse, json,
re, yaml"``, in turn, ``--runs`` times, each with a private HOME (so the compiled-grammar cache is
the benchmark's own); the CPU time of each child (user + system, from ``getrusage``) and its wall
time. The first route run writes the cache and is reported apart (cold, as after an install or
upgrade); the medians of the rest count. Texts: English, simplified Chinese, and traditional Chinese (the only
one that loads OpenCC). Target: median CPU time <= 2x the bare interpreter's.

Accuracy: the first action of every case of ``tests/router/data/dev_set.tsv`` and
``held_back.tsv``, per family, as the tables in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _common import machine_line, median, private_env, verdict

from kling_ai_30.router import route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.router
from tests.router.dev_set import DEV_SET, HELD_BACK, Utterance, load, score

TARGET_PER_S = 20_000
_PHOTO = ("/home/me/Pictures/beach.jpg",)

# (utterance, attachments)
CORPUS: list[tuple[str, tuple[str, ...]]] = [
    # prompts and edits for the chat
    ("generate a 30-second cinematic video from this image with slow camera movement", _PHOTO),
    ("generate a 30 second video of waves at sunset", ()),
    ("make the intro slower and add a warm colour grade", ()),
    ("add background music, something calm with piano", ()),
    ("replace the second clip with a drone shot of the city at night", ()),
    ("make the title bigger and move it to the top third of the frame", ()),
    ("生成一段城市夜景视频，要有慢镜头和霓虹灯", ()),
    ("把背景音乐换成轻快一点的", ()),
    ("给视频加上字幕，字体大一点", ()),
    ("把片头剪短一点，然后加一个淡入效果", ()),
    ('add a subtitle that says "export ready"', ()),
    ("put the caption 'Top up your credits today' at the end", ()),
    ("添加标题“夏日海滩”", ()),
    ("generate a tutorial video about downloading apps", ()),
    ("make the status text in the title card red", ()),
    ("做一个关于下载应用的教程视频", ()),
    (
        "I want a 30 second product teaser for our new running shoes: open on a close-up of the sole, "
        "cut to a runner on a wet street at dawn, slow motion splash, then the logo on black with a "
        "deep bass hit, and keep the colours cold and blue throughout",
        (),
    ),
    ("hi", ()),
    # direct requests
    ("export the video", ()),
    ("send me the mp4", ()),
    ("导出视频", ()),
    ("可以导出了吗", ()),
    ("how many credits do I have", ()),
    ("积分还有多少", ()),
    ("what's the current status", ()),
    ("show tracks", ()),
    ("进度怎么样", ()),
    ("upload a video", ()),
    # several requests, negations, attachments and links
    ("add music and then export", ()),
    ("check my credits and generate a 5 s preview", ()),
    ("don't export yet, add music first", ()),
    ("先别导出，再加点音乐", ()),
    ("导出前先加个字幕", ()),
    ("use this picture", _PHOTO),
    ("上传后做成一个30秒的视频", _PHOTO),
    ("here is the clip: https://example.com/v/clip01.mp4", ()),
    ("use this video https://youtu.be/abc123 and add music", ()),
]


STARTUP_TARGET = 2.0
BARE = ("-c", "import argparse, json, re, yaml")
BARE_NAME = "bare python"
ROUTE_TEXTS = {"english": "export the video", "simplified": "导出视频", "traditional": "幫我把影片匯出"}

Corpus = list[tuple[str, tuple[str, ...]]]


def throughput(corpus: Corpus, seconds: float, repeat: int) -> list[float]:
    """Utterances per CPU-second, one figure per run."""
    rates = []
    for _ in range(repeat):
        count = 0
        start = time.process_time()
        while time.process_time() - start < seconds:
            for text, attachments in corpus:
                route(text, attachments)
            count += len(corpus)
        rates.append(count / (time.process_time() - start))
    return rates


def child_cpu(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def startup(runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """CPU and wall seconds per run, for the bare interpreter and each route text (cold first)."""
    results: dict[str, tuple[list[float], list[float]]] = {}

    def record(name: str, measured: tuple[float, float]) -> None:
        cpu, wall = results.setdefault(name, ([], []))
        cpu.append(measured[0])
        wall.append(measured[1])

    with tempfile.TemporaryDirectory(prefix="bench-router-") as scratch:
        env = private_env(Path(scratch), PYTHONPYCACHEPREFIX=str(Path(scratch) / "pycache"))
        child_cpu([sys.executable, *BARE], env)  # bytecode caches written: not part of any figure
        record(
            "english, cold (compiles the tables, writes the cache)", child_cpu(_route_argv(ROUTE_TEXTS["english"]), env)
        )
        for _ in range(runs):
            record(BARE_NAME, child_cpu([sys.executable, *BARE], env))
            for name, text in ROUTE_TEXTS.items():
                record(name, child_cpu(_route_argv(text), env))
    return results


def _route_argv(text: str) -> list[str]:
    return [sys.executable, "-m", "kling_ai_30", "route", text]


def accuracy_table(cases: list[Utterance]) -> list[str]:
    lines = ["| family | cases | first action | strict |", "|---|---|---|---|"]
    for row in score(cases):
        name = "**all**" if row.family == "all" else row.family
        lines.append(
            f"| {name} | {row.cases} | {row.first_action} ({row.percent(row.first_action):.1f} %) "
            f"| {row.strict} ({row.percent(row.strict):.1f} %) |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per throughput run")
    parser.add_argument("--repeat", type=int, default=5, help="throughput runs; the best one counts")
    parser.add_argument("--runs", type=int, default=15, help="start-up runs of each program")
    args = parser.parse_args(argv)
    print(machine_line())
    met = True

    results = startup(args.runs)
    bare = results[BARE_NAME][0]
    print(
        f"start-up, median of {args.runs} runs: CPU ms / wall ms, and CPU time as a multiple of the bare interpreter's"
    )
    for name, (cpu, wall) in results.items():
        line = (
            f"  {name:<44} {median(cpu) * 1000:6.1f} / {median(wall) * 1000:6.1f}   {median(cpu) / median(bare):.2f}x"
        )
        if len(cpu) == len(bare) and name != BARE_NAME:
            ratios = [ours / theirs for ours, theirs in zip(cpu, bare, strict=True)]
            line += f" (run by run {min(ratios):.2f}-{max(ratios):.2f})"
        print(line)
    startup_met = all(median(results[name][0]) / median(bare) <= STARTUP_TARGET for name in ("english", "simplified"))
    print(f"start-up (English and simplified Chinese <= {STARTUP_TARGET}x): {verdict(startup_met)}")
    met = met and startup_met

    if hasattr(os, "sched_setaffinity"):  # after the start-ups: children would inherit it
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    route("warm up")  # the first call compiles the tables; not part of the figure
    families = [*load(DEV_SET), *load(HELD_BACK)]
    corpora = {"session mix": CORPUS, "dev + held-back sets": [(c.text, c.attachments) for c in families]}
    for name, corpus in corpora.items():
        rates = throughput(corpus, args.seconds, args.repeat)
        best = max(rates)
        met = met and best >= TARGET_PER_S
        print(
            f"throughput, {name} ({len(corpus)} utterances): {best:,.0f} utterances per CPU-second, "
            f"{best / TARGET_PER_S:.2f}x the target (runs {min(rates):,.0f}-{best:,.0f}); "
            f"{verdict(best >= TARGET_PER_S)}"
        )

    for title, path in (("development set", DEV_SET), ("held-back set", HELD_BACK)):
        print(f"\naccuracy, {title} ({path.name}):")
        print("\n".join(accuracy_table(load(path))))
    print(machine_line())
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
