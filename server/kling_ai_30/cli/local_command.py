"""``kling-ai-30 local reset``: remove the offline project that ``--local`` commands share.

It removes the whole offline folder (``offline_home``): the local backend's users, sessions,
credits, uploads and renders, and the program's token, projects and jobs for it. Exported MP4s
live in the usual videos folder and are kept. While another ``--local`` command is running it
refuses (that command would write into a folder being removed) and says how to go on.
"""

from __future__ import annotations

import argparse
import shutil

from pydantic import BaseModel

from ..config import load_settings
from ..errors import KlingError
from .exit_codes import EXIT_FAILED, EXIT_OK
from .offline_home import OfflineHome
from .output import emit, emit_error


class ResetView(BaseModel):
    """What ``local reset`` removed, and what it kept."""

    message: str
    folder: str
    removed: bool
    projects: int = 0
    renders: int = 0
    uploads: int = 0
    size: int = 0
    videos_kept_in: str


def run_local(args: argparse.Namespace) -> int:
    """``kling-ai-30 local ACTION`` (``reset`` is the one there is)."""
    return _reset(args)


def _reset(args: argparse.Namespace) -> int:
    home = OfflineHome.default()
    videos = load_settings(None).videos_dir
    if not home.root.exists():
        emit(
            args,
            ResetView(
                message=f"There is no offline project to remove ({home.root} does not exist).",
                folder=str(home.root),
                removed=False,
                videos_kept_in=str(videos),
            ),
        )
        return EXIT_OK
    from ..local.state.presence import running_backends

    if running_backends(home.backend_dir):
        emit_error(
            args,
            KlingError(
                "An offline command (--local) is running: let it finish or stop it, then run "
                "kling-ai-30 local reset again. Nothing was removed."
            ),
        )
        return EXIT_FAILED
    contents = home.contents()
    shutil.rmtree(home.root)
    emit(
        args,
        ResetView(
            message=(
                f"Removed the offline project ({_count(contents.projects, 'project')}, "
                f"{_count(contents.renders, 'rendered video')}, {_count(contents.uploads, 'uploaded file')}; "
                f"{_size(contents.size)}) from {home.root}.\n"
                f"The MP4s you exported stay in {videos}. The next --local command starts afresh."
            ),
            folder=str(home.root),
            removed=True,
            projects=contents.projects,
            renders=contents.renders,
            uploads=contents.uploads,
            size=contents.size,
            videos_kept_in=str(videos),
        ),
    )
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
