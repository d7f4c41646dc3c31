"""What a command prints: the result's message on stdout (or its JSON with ``--json``), errors,
notes and hints on stderr."""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import BaseModel

from ..errors import BackendUnavailableError, KlingError

# Said after "Cannot reach the NemoVideo backend": the message itself is shared with the MCP
# server, where these commands mean nothing, so the command line adds them.
OFFLINE_HINT = (
    "Offline? Add --local to run the same command on the local backend (no account needed), "
    "or try `kling-ai-30 demo` to make a whole video offline."
)
_UNREACHABLE = BackendUnavailableError.__name__


def emit(args: argparse.Namespace, view: BaseModel) -> None:
    """The command's result on stdout: the message (and the project link), or the whole result as JSON."""
    if args.json:
        print(json.dumps(view.model_dump(mode="json"), ensure_ascii=False))
        return
    message = getattr(view, "message", None)
    if message:
        print(message)
    export = getattr(view, "export", None)
    link = getattr(export if export is not None else view, "task_link", None)
    if link and getattr(args, "local", False):
        # The offline backend's pages are served by a running offline command, and this one ends now.
        print(f"Open the project: {link} (it opens while an offline command runs: kling-ai-30 serve --http --local)")
    elif link:
        print(f"Open the project: {link}")
    emit_hint(args, getattr(view, "error_type", None))


def emit_error(args: argparse.Namespace, exc: KlingError) -> None:
    hint = offline_hint(args, type(exc).__name__)
    if getattr(args, "json", False):
        error: dict[str, object] = {"type": type(exc).__name__, "code": exc.code, "message": str(exc)}
        if hint:
            error["hint"] = hint
        print(json.dumps({"error": error}))
    else:
        print(f"error: {exc}", file=sys.stderr)
        emit_hint(args, type(exc).__name__)


def emit_hint(args: argparse.Namespace, error_type: str | None) -> None:
    """The way out that only the command line has, for an error of ``error_type`` (text output only)."""
    hint = offline_hint(args, error_type)
    if hint and not getattr(args, "json", False):
        print(f"hint: {hint}", file=sys.stderr)


def offline_hint(args: argparse.Namespace, error_type: str | None) -> str | None:
    """The offline alternative, when the backend could not be reached and the command was not offline."""
    # Only the plain "no answer" error: a chat message that may have arrived is not to be retried
    # elsewhere, it is to be checked on.
    if error_type == _UNREACHABLE and not getattr(args, "local", False):
        return OFFLINE_HINT
    return None


def emit_notices(notices: list[str]) -> None:
    for notice in notices:
        print(f"note: {notice}", file=sys.stderr)
