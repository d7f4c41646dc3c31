"""Who may name files on this server's disk: only the server's own user.

A path in a tool call means a file on the machine the server runs on. For the local user (stdio,
the command line, ``serve --http`` with its single token) that is their own machine. For anyone
else a shared ``serve --http`` lets in (a ``--tokens-file`` person, an OAuth caller) it would mean
reading any file the server's account can read (``upload`` of ``~/.ssh/id_ed25519``, a path in a
``generate`` message) or writing MP4s anywhere it can write (``export`` with ``output_dir``). So
those callers send links, or drop files into the studio (which stages them itself), and their
videos go to their own folder, ``<videos>/<principal>/``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, OutputFolderError
from .projects import LOCAL_PRINCIPAL


def owns_server_disk(principal: str) -> bool:
    return principal == LOCAL_PRINCIPAL


def refuse_server_file(principal: str) -> None:
    """Refuse a path to upload unless the caller is the server's own user (nothing is sent)."""
    if not owns_server_disk(principal):
        raise InputError(
            "Files on the server's own disk can only be uploaded by the server's user. Give an http(s) "
            "link to the file instead, or drop it into the studio. Nothing was sent."
        )


def refuse_server_folder(principal: str) -> None:
    """Refuse a chosen output folder unless the caller is the server's own user (nothing is rendered)."""
    if not owns_server_disk(principal):
        raise OutputFolderError(
            "Only the server's user can choose where on the server videos are saved: leave output_dir out, "
            "and your videos go to your own folder there (the result gives the download link). Nothing was rendered."
        )


def videos_folder(videos_dir: Path, principal: str) -> Path:
    """Where a principal's videos go when no folder is chosen."""
    return videos_dir if owns_server_disk(principal) else videos_dir / principal
