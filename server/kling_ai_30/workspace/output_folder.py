"""The folder a video is delivered to: checked, made and proven writable before any render starts.

A render costs the backend minutes; finding out only at download time that the folder cannot take
the file wastes it (and the user's wait). System folders are refused outright: a video has no place
in ``/``, ``/proc``, ``/sys`` or ``/dev``, and writing there as root could do harm.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import OutputFolderError
from ..storage import place_without_overwrite

_SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


def checked_output_folder(chosen: Path) -> Path:
    """``chosen`` resolved, created if needed, and shown to accept a file; else ``OutputFolderError``."""
    chosen = chosen.expanduser()
    if not chosen.is_absolute():
        raise OutputFolderError(f"The output folder must be an absolute path (got {str(chosen)!r}).")
    folder = chosen.resolve()
    # Both as given and resolved: /proc/self/cwd resolves elsewhere, /proc/self/root to "/".
    if any(_is_system(path) for path in (chosen, folder)):
        raise OutputFolderError(f"{chosen} is a system folder, not a place for videos: choose a folder of your own.")
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder} exists and is not a folder: choose a folder for the videos.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".kling-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputFolderError(
            f"Cannot write videos into {folder} ({reason}): choose a folder you can write to, or fix its permissions."
        ) from None
    return folder


def _is_system(folder: Path) -> bool:
    return folder == Path(folder.anchor) or any(folder == s or s in folder.parents for s in _SYSTEM_FOLDERS)


def copy_into(folder: Path, source: Path, *, copy: Callable[[Path, Path], object] = shutil.copy2) -> Path:
    """A copy of ``source`` in ``folder`` under its own name, or ``name (2).mp4``… when that is taken
    (an existing file is never overwritten); the copy itself if it is already there.

    The bytes go to a hidden temporary file beside the target first, which takes the video's name
    only once whole: a copy that fails (disk full, the process killed) leaves no half-written MP4
    that a player, or the next export, would take for the video. Blocking: call it off the event loop.
    """
    if source.parent == folder:
        return source
    handle, name = tempfile.mkstemp(prefix=f".{source.name}.", suffix=".part", dir=folder)
    os.close(handle)
    tmp = Path(name)
    try:
        copy(source, tmp)
        return place_without_overwrite(tmp, folder / source.name)
    finally:
        tmp.unlink(missing_ok=True)
