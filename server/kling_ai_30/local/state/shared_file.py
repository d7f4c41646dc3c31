"""The store's file on disk, shared by every backend running over the same folder.

``state.json`` holds a :class:`~kling_ai_30.local.state.snapshot.Snapshot`; ``state.lock`` (an OS
file lock, ``filelock``) is held around every read-change-write of it, by whichever process is
doing one. A reader that finds the file changed since it last read or wrote it (another process
saved) reads it again first, so no process ever writes over a change it has not seen. Writes are
atomic (a temporary file renamed over the old one), so a killed process leaves the old state or
the new one; a file that does not parse or validate is set aside and the backend starts afresh.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from filelock import FileLock
from pydantic import ValidationError

from kling_ai_30.local.state.snapshot import Snapshot
from kling_ai_30.storage import PRIVATE_FILE_MODE, atomic_write_text, ensure_private_dir, load_json, set_aside

logger = logging.getLogger(__name__)

STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
# (inode, size, mtime in ns): every save renames a new file into place, so the inode changes
# even when two saves land within the file system's timestamp granularity.
Stamp = tuple[int, int, int]


class SharedFile:
    """``state.json`` and its lock under one folder."""

    def __init__(self, directory: Path) -> None:
        ensure_private_dir(directory)
        self.path = directory / STATE_FILE
        self._lock = FileLock(directory / LOCK_FILE, mode=PRIVATE_FILE_MODE, thread_local=False)
        self._seen: Stamp | None = None

    def acquire(self) -> None:
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()

    def changed(self) -> bool:
        """Whether another process saved since this one last read or wrote (call under the lock)."""
        return self._stamp() != self._seen

    def read(self) -> Snapshot | None:
        """The saved snapshot (None when there is none yet, or it was damaged and set aside)."""
        loaded = load_json(self.path)
        self._seen = self._stamp()
        if loaded.set_aside is not None:
            logger.warning("the local backend's state was damaged; moved it to %s and started afresh", loaded.set_aside)
        if loaded.value is None:
            return None
        try:
            return Snapshot.model_validate(loaded.value)
        except ValidationError:
            try:
                aside = set_aside(self.path)
            except OSError:
                logger.warning("the local backend's state %s does not fit; ignoring it", self.path)
                return None
            self._seen = None
            logger.warning("the local backend's state did not fit; moved it to %s and started afresh", aside)
            return None

    def write(self, snapshot: Snapshot) -> None:
        # Not fsynced: an agent run saves a dozen times, and a simulator's state is not worth 20 ms a
        # write; a killed process still leaves a whole file, the old one or the new one.
        atomic_write_text(self.path, snapshot.model_dump_json(), mode=PRIVATE_FILE_MODE, durable=False)
        self._seen = self._stamp()

    def _stamp(self) -> Stamp | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns
