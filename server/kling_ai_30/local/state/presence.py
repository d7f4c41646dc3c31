"""Which backends are running over one data directory, so work a dead one left behind can be taken over.

Several processes may run a backend over the same kept folder at once (each ``--local`` command
starts its own). Each holds ``instances/<id>.lock``, an OS file lock (``filelock``), for as long as
it runs; the kernel releases it when the process dies, however it dies, so "is that backend still
running?" is answered by trying to take its lock: no pid files, no pid reuse, no stale markers.
A render or a credit reservation names the backend working on it; when that one is gone, another
takes the render over or gives the credits back.

A backend with no kept folder runs alone: every backend it could ask about is itself.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from pathlib import Path

from filelock import FileLock, Timeout

from kling_ai_30.storage import PRIVATE_FILE_MODE, ensure_private_dir

logger = logging.getLogger(__name__)

INSTANCES_DIR = "instances"
_ID = re.compile(r"^[0-9a-f]{12}$")


class Presence:
    """This backend's mark that it runs, and the test whether another one does."""

    def __init__(self, data_dir: Path | None) -> None:
        self.instance_id = secrets.token_hex(6)
        self._directory = data_dir / INSTANCES_DIR if data_dir is not None else None
        self._lock: FileLock | None = None
        if self._directory is not None:
            ensure_private_dir(self._directory)
            self._lock = _lock_for(self._directory, self.instance_id)
            self._lock.acquire()

    def alive(self, instance_id: str | None) -> bool:
        """Whether the backend `instance_id` still runs (this one always does)."""
        if instance_id == self.instance_id or self._directory is None:
            return True
        if instance_id is None or not _ID.match(instance_id):
            return False
        return _held(self._directory, instance_id)

    def close(self) -> None:
        """Give up the mark (the backend stops)."""
        if self._lock is None or self._directory is None:
            return
        self._lock.release()
        self._lock = None
        with contextlib.suppress(OSError):
            (self._directory / f"{self.instance_id}.lock").unlink()


def running_backends(data_dir: Path) -> int:
    """How many backends run over `data_dir` right now (their marks are held)."""
    directory = data_dir / INSTANCES_DIR
    try:
        names = [path.stem for path in directory.glob("*.lock")]
    except OSError:
        return 0
    return sum(1 for name in names if _ID.match(name) and _held(directory, name))


def _lock_for(directory: Path, instance_id: str) -> FileLock:
    return FileLock(directory / f"{instance_id}.lock", mode=PRIVATE_FILE_MODE, thread_local=False)


def _held(directory: Path, instance_id: str) -> bool:
    probe = _lock_for(directory, instance_id)
    try:
        probe.acquire(blocking=False)
    except Timeout:
        return True
    except OSError as exc:  # cannot tell: count it as running, so nothing of it is taken over
        logger.warning("cannot check backend %s: %s", instance_id, exc)
        return True
    # Ours now: its backend is gone. The mark is removed so the folder does not collect them.
    with contextlib.suppress(OSError):
        (directory / f"{instance_id}.lock").unlink()
    probe.release()
    return False
