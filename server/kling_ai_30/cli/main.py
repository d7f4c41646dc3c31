"""``kling-ai-30``: parse the command line and hand over to the command. No logic lives here.

Exit codes: ``exit_codes``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .arguments import wait_seconds


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    common.add_argument(
        "--local",
        action="store_true",
        help="use a local backend started in this process (offline; no account needed)",
    )
    common.add_argument(
        "--project", default=None, help="which of your projects to work in (default: the last one used)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")

    parser = argparse.ArgumentParser(
        prog="kling-ai-30",
        description="Make ~30-second AI videos from prompts or images through the NemoVideo backend.",
        epilog="Run `kling-ai-30 demo` to make a video offline in one go.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the MCP server (stdio; --http for streamable HTTP)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP host (default: loopback only)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP port (default: %(default)s)")

    sim = sub.add_parser("sim", parents=[common], help="run the local NemoVideo-compatible backend")
    sim.add_argument("--host", default="127.0.0.1", help="host (default: loopback only)")
    sim.add_argument("--port", type=int, default=8787, help="port (default: %(default)s; 0 picks a free one)")

    route = sub.add_parser("route", parents=[common], help="show how a request would be handled")
    route.add_argument("--attach", action="append", default=[], metavar="PATH", help="a file sent with the text")
    route.add_argument("text", nargs="*", help="the request")

    generate = sub.add_parser("generate", parents=[common], help="generate or edit the video by describing it")
    generate.add_argument("text", nargs="+", help='what you want, e.g. "a 5-second preview of waves at sunset"')
    generate.add_argument("--attach", action="append", default=[], metavar="PATH", help="upload this file first")
    generate.add_argument("--output-dir", help="where an exported MP4 goes")
    generate.add_argument("--no-export", action="store_true", help="do not export even if the video is ready")
    generate.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds (the job goes on)")

    upload = sub.add_parser("upload", parents=[common], help="upload images, clips or audio (paths or URLs)")
    upload.add_argument("sources", nargs="+", metavar="PATH_OR_URL")

    sub.add_parser("credits", parents=[common], help="show the credit balance")
    sub.add_parser("state", parents=[common], help="show the timeline")

    export = sub.add_parser("export", parents=[common], help="render and download the MP4")
    export.add_argument("--output-dir", help="where the MP4 goes (default: your kling-ai-30 videos folder)")
    export.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds (the job goes on)")
    export.add_argument(
        "--new-render", action="store_true", help="render again even if the timeline was exported unchanged"
    )

    job = sub.add_parser("job", parents=[common], help="follow a job that was interrupted or is still running")
    job.add_argument("job_id")
    job.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds")

    demo = sub.add_parser("demo", parents=[common], help="the whole job offline: image in, 1080p MP4 out")
    demo.add_argument("--output-dir", help="where the MP4 goes")
    demo.add_argument("--image", help="use this image instead of the bundled one")
    demo.add_argument("--seconds", type=int, default=30, help="video length (default: %(default)s)")

    history = sub.add_parser("history", parents=[common], help="your recent jobs and videos, and where they are")
    history.add_argument("--limit", type=int, default=20, help="how many jobs, newest first (default: %(default)s)")
    sub.add_parser("projects", parents=[common], help="your projects, and the one used when none is named")

    chat = sub.add_parser("chat", parents=[common], help="talk to Claude, which drives the same tools")
    chat.add_argument("--model", default=None, help="Anthropic model (default: $KLING_CLAUDE_MODEL or a current one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    argv = list(argv) if argv is not None else sys.argv[1:]
    if argv[:1] == ["route"]:
        from .route_command import run_route  # before anything heavy: routing needs none of it

        return run_route(argv[1:])
    import logging

    from ..redaction import install_log_redaction

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    from .commands import run  # after parsing: `--help` stays fast

    return run(args)
