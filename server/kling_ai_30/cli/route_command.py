"""``kling-ai-30 route``: how one request would be handled, without doing any of it.

Kept out of the rest of the command line so that it starts fast: it imports the router and
nothing else of the program (no settings, pydantic, asyncio or job manager), and it keeps the
compiled router tables in the user cache directory so later runs skip compiling them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .exit_codes import EXIT_OK, EXIT_USAGE

__all__ = ["build_route_parser", "run_route", "user_cache_dir"]

APP_DIR_NAME = "kling-ai-30"  # config.APP_DIR_NAME, not imported: config pulls in pydantic


def build_route_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kling-ai-30 route",
        description="Show how a request would be handled: which actions run, in which order, and why. "
        "Nothing is sent or uploaded.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--attach", action="append", default=[], metavar="PATH", help="a file sent with the text")
    # Accepted for symmetry with the other commands; routing reads no project or backend.
    parser.add_argument("--local", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project", default=None, help=argparse.SUPPRESS)
    parser.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("text", nargs="*", help='the request, e.g. "add music and then export"')
    return parser


def run_route(argv: Sequence[str]) -> int:
    """Route the request given on the command line; returns the exit code."""
    parser = build_route_parser()
    args = parser.parse_args(list(argv))
    text = " ".join(args.text).strip()
    attachments = [path for path in args.attach if path.strip()]
    if not text and not attachments:
        parser.print_usage(sys.stderr)
        print(
            'kling-ai-30 route: error: give the request to route, e.g. kling-ai-30 route "export the video" '
            "(and --attach PATH for a file sent with it)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    from ..router import route
    from ..router.compiled import use_cache_dir

    use_cache_dir(user_cache_dir())
    plan = route(text, attachments)
    if args.json:
        print(json.dumps(plan.explain(), ensure_ascii=False))
        return EXIT_OK
    for number, step in enumerate(plan.steps, start=1):
        if not step.runs:
            kind = "asked first, nothing run" if step.question else "answered directly, nothing sent"
            print(f"{number}. {step.action.value} ({kind}): {step.question or step.answer}")
            continue
        detail = step.source or step.text or ""
        skip = "answered directly" if step.skip_sse else "sent to the video assistant"
        print(f"{number}. {step.action.value} ({skip}){': ' + detail if detail else ''}")
    print(f"confidence {plan.confidence:.2f}: {'; '.join(r for s in plan.steps for r in s.reasons)}")
    return EXIT_OK


def user_cache_dir() -> str:
    """``platformdirs.user_cache_dir("kling-ai-30")``, without importing platformdirs or pathlib
    (~10 ms, a sixth of the command's start-up budget).

    The same rules for the three platforms the program supports; a test keeps the two equal here.
    """
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP_DIR_NAME, APP_DIR_NAME, "Cache")
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return os.path.join(xdg, APP_DIR_NAME)
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", APP_DIR_NAME)
    return os.path.join(home, ".cache", APP_DIR_NAME)
