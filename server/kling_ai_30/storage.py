"""Small, safe persistence: atomic writes, private modes, and corrupt files set aside.

A crash (or SIGKILL) at any moment leaves either the old file or the new one, never half of
either: data goes to a temporary file in the same directory, is flushed and fsynced, then
renamed over the target. A file that no longer parses is renamed to ``<name>.corrupt-<time>``
and reported, so a bad file never becomes a crash loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from .errors import InputError

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
CORRUPT_MARK = ".corrupt-"
"""Between a damaged file's name and the time it was set aside."""


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and make it 0700; every folder this creates on the way is 0700 too (folders
    that already existed keep their mode: they are not ours to change). Returns ``path``."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made this instant by another process
            folder.mkdir(mode=PRIVATE_DIR_MODE)
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to chmod (e.g. a shared mount): keep going
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, created with ``mode`` from the start. ``durable=False``
    skips the fsyncs: still whole-or-nothing if the process dies, but a power cut may lose the write
    (for files rewritten many times a second, where each fsync would cost more than the write)."""
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, mode: int = PRIVATE_FILE_MODE, durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode, durable=durable)


def atomic_write_json(path: Path, value: Any, *, mode: int = PRIVATE_FILE_MODE) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", mode=mode)


@dataclass(frozen=True)
class Loaded:
    """What reading a JSON file found."""

    value: Any
    """The parsed value, or None when the file was missing, unreadable or set aside."""
    set_aside: Path | None = None
    """Where a corrupt file was moved, so the caller can say so."""
    unreadable: str | None = None
    """Why an existing file could not be read (left where it is)."""

    def problem(self, what: str) -> str | None:
        """A sentence for the user about ``what`` ("The saved project 'x'"), or None if all was well."""
        if self.set_aside is not None:
            return f"{what} was damaged and was moved to {self.set_aside}"
        if self.unreadable is not None:
            return f"{what} could not be read ({self.unreadable}): fix the file's permissions or remove it"
        return None


def load_json(path: Path) -> Loaded:
    """Read JSON from ``path``; a corrupt file is set aside (renamed) and reported, never raised.

    Anything but a regular file (a FIFO, a device, a folder) is reported as unreadable without being
    opened for reading: opening a FIFO would block until someone writes to it.
    """
    try:
        raw = _read_regular_file(path)
    except FileNotFoundError:
        return Loaded(None)
    except OSError as exc:  # permission denied, a folder where the file should be: report, go on
        log.warning("cannot read %s: %s", path, exc.strerror)
        return Loaded(None, unreadable=f"{path}: {exc.strerror or type(exc).__name__}")
    try:
        return Loaded(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…" thousands deep
        try:
            aside = set_aside(path)
        except OSError:
            log.warning("%s is corrupt and could not be moved aside; ignoring it", path)
            return Loaded(None)
        log.warning("%s was corrupt; moved it to %s and started afresh", path, aside)
        return Loaded(None, set_aside=aside)


def read_small_text(path: Path, *, limit: int = 4096) -> str | None:
    """A small text file's content, stripped; None when it is missing, unreadable or not a regular file."""
    try:
        raw = _read_regular_file(path)
    except OSError:
        return None
    return raw[:limit].decode("utf-8", errors="replace").strip() or None


def _read_regular_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def set_aside(path: Path) -> Path:
    """Move a damaged ``path`` to ``<name>.corrupt-<time>`` beside it, never over an earlier copy;
    returns where it went (``OSError`` when it cannot be moved)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}{CORRUPT_MARK}{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}{CORRUPT_MARK}{stamp}-{number}")
    os.replace(path, aside)
    return aside


def set_aside_copies(path: Path) -> list[Path]:
    """The copies of ``path`` that ``set_aside`` made and nobody has removed, oldest first."""
    try:
        return sorted(path.parent.glob(f"{glob_escape(path.name)}{CORRUPT_MARK}*"))
    except OSError:
        return []


def sweep_temporary(directory: Path, *, older_than_s: float = 3600.0) -> int:
    """Remove the temporary files of writes that were killed half-way (older than an hour, so a
    write in progress in another process is never touched); returns how many went."""
    removed = 0
    cutoff = time.time() - older_than_s
    try:
        leftovers = list(directory.glob(".*.tmp"))
    except OSError:
        return 0
    for leftover in leftovers:
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _fsync_dir(directory: Path) -> None:
    # The rename itself must survive a power cut, which on POSIX needs the directory synced.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def place_without_overwrite(tmp: Path, target: Path) -> Path:
    """Move ``tmp`` (a finished file in ``target``'s folder) to ``target`` or ``target (2)``…; never
    replaces an existing file. Returns where it went."""
    stem, suffix = target.stem, target.suffix
    for n in range(1, 1000):
        candidate = target if n == 1 else target.with_name(f"{stem} ({n}){suffix}")
        try:
            os.link(tmp, candidate)  # fails if candidate exists: no window for a silent overwrite
        except FileExistsError:
            continue
        except OSError:
            if candidate.exists():
                continue
            os.replace(tmp, candidate)  # filesystems without hard links
            return candidate
        tmp.unlink(missing_ok=True)
        return candidate
    raise InputError(f"Too many files named like {target.name} in {target.parent}: clean up the folder.")
