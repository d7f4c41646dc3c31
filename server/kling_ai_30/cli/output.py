"""What a command prints: the result's message on stdout (or its JSON with ``--json``), errors
and notes on stderr."""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import BaseModel

from ..errors import KlingError


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
    if link:
        print(f"Open the project: {link}")


def emit_error(args: argparse.Namespace, exc: KlingError) -> None:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"type": type(exc).__name__, "code": exc.code, "message": str(exc)}}))
    else:
        print(f"error: {exc}", file=sys.stderr)


def emit_notices(notices: list[str]) -> None:
    for notice in notices:
        print(f"note: {notice}", file=sys.stderr)
