"""``kling-ai-30``: parse the command line and hand over to the command. No logic lives here.

The global options (``--json``, ``--local``, ``--project``, ``-q``, ``-v``) go before or after the
command. Each command takes only those that mean something for it (``COMMAND_OPTIONS``), so its
``--help`` lists nothing it would ignore, and one given before a command that has no use for it
is refused the way argparse refuses it after the command.

Exit codes: ``exit_codes``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..policy import DEFAULT_HTTP_PORT
from .arguments import demo_seconds, wait_seconds

# name -> (flags, keyword arguments for add_argument). Every subparser copy defaults to SUPPRESS,
# so an option given before the command is not reset by the command's own default.
GLOBAL_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "json": (("--json",), {"action": "store_true", "help": "print one JSON object instead of text"}),
    "local": (
        ("--local",),
        {"action": "store_true", "help": "use the local backend (offline; no account needed)"},
    ),
    "project": (
        ("--project",),
        {"metavar": "NAME", "help": "which of your projects to work in (default: the last one used)"},
    ),
    "quiet": (("-q", "--quiet"), {"action": "store_true", "help": "no progress display"}),
    "verbose": (("-v", "--verbose"), {"action": "store_true", "help": "log what happens (to stderr)"}),
}
GLOBAL_DEFAULTS: dict[str, Any] = {"json": False, "local": False, "project": None, "quiet": False, "verbose": False}
_ALL = frozenset(GLOBAL_OPTIONS)

# The global options each command takes: those that change what it does. ``-q`` and ``-v`` go with
# every command that talks to a backend (scripts pass them to all alike); ``--project`` only where
# the work happens in a project. A command missing here (one added with ``parents=[common]``) takes
# them all.
_TALKS_TO_A_BACKEND = frozenset({"json", "local", "quiet", "verbose"})
COMMAND_OPTIONS: dict[str, frozenset[str]] = {
    "route": frozenset({"json"}),
    "sim": frozenset({"json", "verbose"}),  # it is the local backend
    "generate": _ALL,
    "upload": _ALL,
    "state": _ALL,
    "export": _ALL,
    "history": _ALL,
    "credits": _TALKS_TO_A_BACKEND,  # an account's balance, not a project's
    "job": _TALKS_TO_A_BACKEND,  # a job id names its project
    "projects": _TALKS_TO_A_BACKEND,
    "doctor": _TALKS_TO_A_BACKEND,
    "demo": frozenset({"json", "quiet", "verbose"}),  # always offline
    "chat": frozenset({"local", "verbose"}),
    "local": frozenset({"json", "quiet"}),  # `local reset`: about the offline folder itself
    "serve": frozenset({"local", "verbose"}),  # a server: it prints no result, works in its callers' projects
}


def global_options(names: frozenset[str] = _ALL) -> argparse.ArgumentParser:
    """A parent parser with the named global options, for a command's subparser."""
    parent = argparse.ArgumentParser(add_help=False)
    for name in GLOBAL_OPTIONS:
        if name in names:
            flags, kwargs = GLOBAL_OPTIONS[name]
            parent.add_argument(*flags, dest=name, default=argparse.SUPPRESS, **kwargs)
    return parent


class _Version(argparse.Action):
    """``--version``: read from frontmatter.yaml only when asked, so other commands never pay for it."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from ..skill import load_identity

        identity = load_identity()
        print(f"{identity.name} {identity.version}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    common = global_options()

    def options(command: str) -> list[argparse.ArgumentParser]:
        return [global_options(COMMAND_OPTIONS[command])]

    parser = argparse.ArgumentParser(
        prog="kling-ai-30",
        description="Make ~30-second AI videos from prompts or images through the NemoVideo backend.",
        epilog="Run `kling-ai-30 demo` to make a video offline in one go, `kling-ai-30 doctor` to check the setup. "
        "The options above also go after the command, for the commands that use them.",
        parents=[common],
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser(
        "serve", parents=options("serve"), help="run the MCP server (stdio; --http for streamable HTTP)"
    )
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    http = serve.add_argument_group("streamable HTTP (with --http; callers need a token unless --no-auth)")
    http.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    http.add_argument(
        "--port", type=int, default=DEFAULT_HTTP_PORT, help="port (default: %(default)s; 0 picks a free one)"
    )
    http.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="the bearer token callers send, read from this file (default: $KLING_HTTP_TOKEN, else a token "
        "made on first use and kept in your config folder)",
    )
    http.add_argument(
        "--tokens-file",
        type=Path,
        metavar="PATH",
        help="several people: one 'NAME TOKEN [NEMO_TOKEN]' per line; each gets their own projects and videos",
    )
    http.add_argument("--oauth-issuer", metavar="URL", help="accept JWT access tokens from this OAuth/OpenID issuer")
    http.add_argument(
        "--oauth-audience", metavar="AUD", help="the audience those tokens must name (default: the server's URL)"
    )
    http.add_argument(
        "--oauth-scope", action="append", default=[], metavar="SCOPE", help="a scope every token must carry"
    )
    http.add_argument(
        "--no-auth", action="store_true", help="no authentication (loopback only: any local program can call)"
    )
    http.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name clients reach the server by (the Host/Origin check refuses others)",
    )
    http.add_argument("--public-url", metavar="URL", help="the URL clients use, e.g. behind a TLS proxy")
    http.add_argument(
        "--accounts",
        choices=("shared", "separate"),
        default="shared",
        help="whose NemoVideo account callers without a NEMO_TOKEN of their own use: shared (default: "
        "this server's) or separate (a free anonymous account each)",
    )

    sim = sub.add_parser("sim", parents=options("sim"), help="run the local NemoVideo-compatible backend")
    sim.add_argument("--host", default="127.0.0.1", help="host (default: loopback only)")
    sim.add_argument("--port", type=int, default=8787, help="port (default: %(default)s; 0 picks a free one)")

    route = sub.add_parser("route", parents=options("route"), help="show how a request would be handled")
    route.add_argument("--attach", action="append", default=[], metavar="PATH", help="a file sent with the text")
    route.add_argument("text", nargs="*", help="the request")

    generate = sub.add_parser(
        "generate", parents=options("generate"), help="generate or edit the video by describing it"
    )
    generate.add_argument("text", nargs="+", help='what you want, e.g. "a 5-second preview of waves at sunset"')
    generate.add_argument("--attach", action="append", default=[], metavar="PATH", help="upload this file first")
    generate.add_argument("--output-dir", help="where an exported MP4 goes")
    generate.add_argument("--no-export", action="store_true", help="do not export even if the video is ready")
    generate.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds (the job goes on)")

    upload = sub.add_parser("upload", parents=options("upload"), help="upload images, clips or audio (paths or URLs)")
    upload.add_argument("sources", nargs="+", metavar="PATH_OR_URL")

    sub.add_parser("credits", parents=options("credits"), help="show the credit balance")
    sub.add_parser("state", parents=options("state"), help="show the timeline")

    export = sub.add_parser("export", parents=options("export"), help="render and download the MP4")
    export.add_argument("--output-dir", help="where the MP4 goes (default: your kling-ai-30 videos folder)")
    export.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds (the job goes on)")
    export.add_argument(
        "--new-render", action="store_true", help="render again even if the timeline was exported unchanged"
    )

    job = sub.add_parser("job", parents=options("job"), help="follow a job that was interrupted or is still running")
    job.add_argument("job_id")
    job.add_argument("--wait", type=wait_seconds, help="stop waiting after this many seconds")

    demo = sub.add_parser("demo", parents=options("demo"), help="the whole job offline: image in, 1080p MP4 out")
    demo.add_argument("--output-dir", help="where the MP4 goes")
    demo.add_argument("--image", help="use this image instead of the bundled one")
    demo.add_argument("--prompt", help='what the video shows, e.g. "waves at sunset" (without --image: no photo)')
    demo.add_argument("--seconds", type=demo_seconds, default=30, help="video length, 1-60 (default: %(default)s)")

    history = sub.add_parser(
        "history", parents=options("history"), help="your recent jobs and videos, and where they are"
    )
    history.add_argument("--limit", type=int, default=20, help="how many jobs, newest first (default: %(default)s)")
    sub.add_parser("projects", parents=options("projects"), help="your projects, and the one used when none is named")

    local = sub.add_parser("local", help="the offline project that --local commands share")
    local_actions = local.add_subparsers(dest="action", metavar="ACTION", required=True)
    local_actions.add_parser(
        "reset", parents=options("local"), help="remove it and start afresh (exported MP4s are kept)"
    )

    chat = sub.add_parser("chat", parents=options("chat"), help="talk to Claude, which drives the same tools")
    chat.add_argument("--model", default=None, help="Anthropic model (default: $KLING_CLAUDE_MODEL or a current one)")

    sub.add_parser(
        "doctor",
        parents=options("doctor"),
        help="check the setup: Python, uvx, the backend, the token, folders, versions (-q: problems only)",
    )
    return parser


def parse_command_line(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed command line, every global option set (to its default where not given)."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    # Only the options the command takes can come from its own subparser; any other one present
    # was given before the command.
    takes = COMMAND_OPTIONS.get(args.command, _ALL)
    for name in sorted(_ALL - takes):
        if hasattr(args, name):
            flag = GLOBAL_OPTIONS[name][0][-1]
            parser.error(
                f"{flag} means nothing for `{args.command}`: leave it out (see kling-ai-30 {args.command} --help)"
            )
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    argv = list(argv) if argv is not None else sys.argv[1:]
    leading, rest = _leading_global_options(argv)
    if rest[:1] == ["route"]:
        from .route_command import run_route  # before anything heavy: routing needs none of it

        return run_route(leading + rest[1:])
    import logging

    from ..redaction import install_log_redaction

    args = parse_command_line(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    from .commands import run  # after parsing: `--help` stays fast

    return run(args)


def _leading_global_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """``argv`` split before the command: the global options given first, and the rest."""
    flags = {flag: "metavar" in kwargs for flags, kwargs in GLOBAL_OPTIONS.values() for flag in flags}
    position = 0
    while position < len(argv) and (flag := argv[position].split("=", 1)[0]) in flags:
        takes_value = flags[flag] and "=" not in argv[position]
        position += 2 if takes_value else 1
    return argv[:position], argv[position:]
